//! The candidate sources, from the cheapest to the most expensive: a later source only runs when
//! the earlier ones found nothing convincing (most photos stop after the edge contours).

use crate::geometry::Quad;

use super::DetectOptions;
use super::edges::EdgeMap;
use super::hough::line_quads;
use super::outlines::{contour_quads, region_quads};
use super::scoring::{Cand, ScoreCtx, shortlist_and_score};
use super::trace::{TraceEvent, Tracer};

/// Score above which no further candidate source is tried.
const EARLY_ACCEPT: f32 = 0.92;

/// Where candidate quads come from; each covers the failures of the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CandidateSource {
    /// Outer and hole contours of the strong and the weaker edge maps, gaps closed.
    EdgeContours,
    /// Outlines of bright, dark and low-chroma regions.
    Regions,
    /// Pairs of near-parallel Hough lines (only with [`DetectOptions::use_lines`]).
    Lines,
}

impl CandidateSource {
    /// Every source, in the order they are tried.
    const ALL: [CandidateSource; 3] = [CandidateSource::EdgeContours, CandidateSource::Regions, CandidateSource::Lines];

    fn quads(self, ctx: &ScoreCtx<'_>, edges: &EdgeMap, opts: &DetectOptions) -> Vec<Quad> {
        let mut quads: Vec<Quad> = Vec::new();
        match self {
            CandidateSource::EdgeContours => {
                for map in [EdgeMap::strong, EdgeMap::weak] {
                    contour_quads(&map(edges), &mut quads);
                }
            }
            CandidateSource::Regions => region_quads(ctx.planes, &mut quads),
            CandidateSource::Lines => {
                if opts.use_lines {
                    line_quads(&edges.weak(), ctx.grad, &mut quads);
                }
            }
        }
        quads
    }
}

/// Scored candidates of the sources tried, best first; stops at the first convincing one.
pub(super) fn candidates(
    ctx: &ScoreCtx<'_>,
    edges: &EdgeMap,
    opts: &DetectOptions,
    trace: &mut Tracer<'_>,
) -> Vec<Cand> {
    let mut cands: Vec<Cand> = Vec::new();
    for source in CandidateSource::ALL {
        let quads = source.quads(ctx, edges, opts);
        let n = quads.len();
        cands.extend(shortlist_and_score(ctx, quads));
        cands.sort_by(|a, b| b.score.total_cmp(&a.score));
        trace.emit(|| TraceEvent::Source { source, quads: n, best: cands.first().map(|c| c.score) });
        trace.lap("source");
        if cands.first().is_some_and(|c| c.score >= EARLY_ACCEPT) {
            break;
        }
    }
    cands
}
