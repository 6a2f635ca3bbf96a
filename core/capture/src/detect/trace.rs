//! Debug output of the detector, for tuning tools (examples, benches): stage times, candidate
//! counts and scores. The library never prints; a caller that wants the trace passes a
//! [`DetectTrace`] and decides what to do with each [`TraceEvent`].

use std::fmt;
use std::time::Instant;

use crate::geometry::Quad;

use super::sources::CandidateSource;

/// Where a traced detection sends its events.
pub struct DetectTrace<'a> {
    /// Receives every event, in order.
    pub sink: &'a mut dyn FnMut(TraceEvent),
    /// A quad (pixels of the input image) whose scores are reported as [`TraceEvent::Probe`]: to
    /// see why a hand-picked quad lost.
    pub probe: Option<Quad>,
}

/// One step of a detection. `Display` gives the one-line text the tuning tools print.
#[derive(Debug, Clone, PartialEq)]
pub enum TraceEvent {
    /// A stage ended, `ms` after the stage clock started.
    Lap { stage: &'static str, ms: f64 },
    /// A candidate source ran: how many quads it proposed, and the best score so far.
    Source { source: CandidateSource, quads: usize, best: Option<f32> },
    /// The probe quad's fast and full scores and its continuation.
    Probe { fast: Option<f32>, score: Option<f32>, continuation: f32 },
    /// A shortlisted candidate (corners in input pixels).
    Candidate { score: f32, continuation: f32, corners: [[f32; 2]; 4] },
    /// A shortlisted candidate after refinement on the working image.
    Refined { score: f32, corners: [[f32; 2]; 4] },
    /// A leader with one side pushed outwards, refined.
    Grown { score: Option<f32>, corners: [[f32; 2]; 4] },
    /// The winner before the confidence threshold.
    Best { score: f32, continuation: f32 },
}

impl fmt::Display for TraceEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Lap { stage, ms } => write!(f, "  t {stage}: {ms:.1} ms"),
            Self::Source { source, quads, best } => write!(f, "  source {source:?}: {quads} quads, best {best:?}"),
            Self::Probe { fast, score, continuation } => {
                write!(f, "  probe: fast {fast:?} score {score:?} continuation {continuation:.2}")
            }
            Self::Candidate { score, continuation, corners } => {
                write!(f, "  cand {score:.3} cont {continuation:.2} {corners:?}")
            }
            Self::Refined { score, corners } => write!(f, "  refined {score:.3} {corners:?}"),
            Self::Grown { score, corners } => write!(f, "  grown {score:?} {corners:?}"),
            Self::Best { score, continuation } => write!(f, "  best {score:.3} cont {continuation:.2}"),
        }
    }
}

/// The detector's side of a trace: does nothing (and builds no event) when nobody listens.
pub(super) struct Tracer<'a> {
    sink: Option<&'a mut dyn FnMut(TraceEvent)>,
    probe: Option<Quad>,
    t0: Instant,
}

impl<'a> Tracer<'a> {
    pub(super) fn off() -> Self {
        Self { sink: None, probe: None, t0: Instant::now() }
    }

    pub(super) fn on(trace: DetectTrace<'a>) -> Self {
        Self { sink: Some(trace.sink), probe: trace.probe, t0: Instant::now() }
    }

    /// Starts the stage clock again.
    pub(super) fn restart(&mut self) {
        self.t0 = Instant::now();
    }

    /// Reports the time since the stage clock started.
    pub(super) fn lap(&mut self, stage: &'static str) {
        let t0 = self.t0;
        self.emit(|| TraceEvent::Lap { stage, ms: t0.elapsed().as_secs_f64() * 1e3 });
    }

    /// Reports the event that `event` builds, if anybody listens.
    pub(super) fn emit(&mut self, event: impl FnOnce() -> TraceEvent) {
        if let Some(sink) = self.sink.as_mut() {
            sink(event());
        }
    }

    /// The probe quad, if one was given.
    pub(super) fn probe(&self) -> Option<Quad> {
        self.probe
    }
}
