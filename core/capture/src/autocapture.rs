//! Auto-capture: fed successive preview detections, says when the quad is steady enough to shoot.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::decode::LumaFrame;
use crate::detect::Detection;
use crate::geometry::Quad;
use crate::quality::{PREVIEW_BLUR_PX, blur_px};

/// What the app should tell the person.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum CaptureAdvice {
    /// No document in view.
    NoDocument,
    /// A document is in view but moving (or not steady for long enough yet).
    HoldStill {
        /// 0..1: how far along the steadiness window we are.
        progress: f32,
    },
    /// The quad has been steady for the whole window: take the photo now.
    CaptureNow,
}

/// Tuning of [`AutoCapture`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AutoCaptureConfig {
    /// How long the quad must stay steady, in milliseconds.
    pub steady_ms: u64,
    /// Largest corner movement allowed, as a fraction of the frame diagonal.
    pub tolerance: f32,
    /// Frames without a document tolerated (detection flicker) before resetting.
    pub max_misses: u32,
    /// Minimum number of frames in the steady window.
    pub min_frames: usize,
}

impl Default for AutoCaptureConfig {
    fn default() -> Self {
        Self { steady_ms: 800, tolerance: 0.015, max_misses: 2, min_frames: 5 }
    }
}

/// Steadiness tracker for one preview stream. Feed it every detection with its timestamp.
#[derive(Debug, Clone)]
pub struct AutoCapture {
    config: AutoCaptureConfig,
    diag: f32,
    history: VecDeque<(u64, Quad)>,
    misses: u32,
}

impl AutoCapture {
    /// A tracker for frames of `width × height` pixels.
    pub fn new(width: u32, height: u32) -> Self {
        Self::with_config(width, height, AutoCaptureConfig::default())
    }

    /// A tracker with explicit tuning.
    pub fn with_config(width: u32, height: u32, config: AutoCaptureConfig) -> Self {
        Self { config, diag: (width as f32).hypot(height as f32).max(1.0), history: VecDeque::new(), misses: 0 }
    }

    /// Forgets everything (e.g. after a capture).
    pub fn reset(&mut self) {
        self.history.clear();
        self.misses = 0;
    }

    /// [`AutoCapture::push`] that also looks at the frame itself: a blurred frame (the phone moves,
    /// or focus is not there yet) breaks the steady run, so a blurred page is never shot.
    pub fn push_frame(&mut self, frame: &LumaFrame<'_>, detection: &Detection, timestamp_ms: u64) -> CaptureAdvice {
        if let Some(q) = detection.quad
            && !frame_is_sharp(frame, &q)
        {
            self.history.clear();
            self.misses = 0;
            return CaptureAdvice::HoldStill { progress: 0.0 };
        }
        self.push(detection, timestamp_ms)
    }

    /// Adds the detection of the frame taken at `timestamp_ms` and returns the advice.
    pub fn push(&mut self, detection: &Detection, timestamp_ms: u64) -> CaptureAdvice {
        let Some(q) = detection.quad else {
            self.misses += 1;
            if self.misses > self.config.max_misses {
                self.history.clear();
                return CaptureAdvice::NoDocument;
            }
            return match self.history.back() {
                Some(_) => CaptureAdvice::HoldStill { progress: 0.0 },
                None => CaptureAdvice::NoDocument,
            };
        };
        self.misses = 0;
        let tol = self.config.tolerance * self.diag;
        // Keep only the trailing run of frames that agree with the newest quad.
        if self.history.iter().any(|(_, h)| h.max_corner_distance(&q) > tol) {
            self.history.clear();
        }
        self.history.push_back((timestamp_ms, q));
        let horizon = timestamp_ms.saturating_sub(self.config.steady_ms * 2);
        while self.history.front().is_some_and(|(t, _)| *t < horizon) {
            self.history.pop_front();
        }
        let first = self.history.front().map_or(timestamp_ms, |(t, _)| *t);
        let steady = timestamp_ms.saturating_sub(first);
        if steady >= self.config.steady_ms && self.history.len() >= self.config.min_frames {
            CaptureAdvice::CaptureNow
        } else {
            CaptureAdvice::HoldStill { progress: (steady as f32 / self.config.steady_ms.max(1) as f32).min(0.99) }
        }
    }
}

/// Whether the document's area of a preview frame is sharp enough to shoot.
fn frame_is_sharp(frame: &LumaFrame<'_>, q: &Quad) -> bool {
    let xs = q.corners.map(|p| p.x);
    let ys = q.corners.map(|p| p.y);
    let clamp = |v: f32, max: u32| (v.max(0.0) as u32).min(max);
    let (x0, x1) = (
        clamp(xs.iter().copied().fold(f32::MAX, f32::min), frame.width()),
        clamp(xs.iter().copied().fold(0.0, f32::max), frame.width()),
    );
    let (y0, y1) = (
        clamp(ys.iter().copied().fold(f32::MAX, f32::min), frame.height()),
        clamp(ys.iter().copied().fold(0.0, f32::max), frame.height()),
    );
    if x1 <= x0 + 16 || y1 <= y0 + 16 {
        return false;
    }
    let crop = image::GrayImage::from_fn(x1 - x0, y1 - y0, |x, y| image::Luma([frame.row(y0 + y)[(x0 + x) as usize]]));
    blur_px(&crop).is_some_and(|b| b < PREVIEW_BLUR_PX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn det(dx: f32) -> Detection {
        Detection {
            quad: Some(Quad::from_array([
                [100.0 + dx, 100.0],
                [500.0 + dx, 100.0],
                [500.0 + dx, 400.0],
                [100.0 + dx, 400.0],
            ])),
            confidence: 0.9,
        }
    }

    #[test]
    fn steady_quad_triggers_capture_and_motion_resets() {
        let mut ac = AutoCapture::new(640, 480);
        let none = Detection { quad: None, confidence: 0.0 };
        assert_eq!(ac.push(&none, 0), CaptureAdvice::NoDocument);
        let mut t = 0;
        let mut last = CaptureAdvice::NoDocument;
        for i in 0..12 {
            t = i * 100;
            last = ac.push(&det((i % 2) as f32), t);
        }
        assert_eq!(last, CaptureAdvice::CaptureNow);
        assert!(matches!(ac.push(&det(60.0), t + 100), CaptureAdvice::HoldStill { .. }));
    }
}
