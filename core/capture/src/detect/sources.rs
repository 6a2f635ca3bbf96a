//! The candidate sources, from the cheapest to the most expensive, each proposing quads for
//! scoring.

use crate::geometry::Quad;

use super::edges::EdgeMap;
use super::hough::line_quads;
use super::outlines::{contour_quads, region_quads};
use super::scoring::ScoreCtx;

/// Where candidate quads come from; each covers the failures of the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CandidateSource {
    /// Outer and hole contours of the strong and the weaker edge maps, gaps closed.
    EdgeContours,
    /// Outlines of bright, dark and low-chroma regions.
    Regions,
    /// Pairs of near-parallel Hough lines (only with `DetectOptions::use_lines`).
    Lines,
}

impl CandidateSource {
    /// Every source, in the order they are tried.
    pub(super) const ALL: [CandidateSource; 3] =
        [CandidateSource::EdgeContours, CandidateSource::Regions, CandidateSource::Lines];

    pub(super) fn quads(self, ctx: &ScoreCtx<'_>, edges: &EdgeMap, use_lines: bool) -> Vec<Quad> {
        let mut quads: Vec<Quad> = Vec::new();
        match self {
            CandidateSource::EdgeContours => {
                for map in [EdgeMap::strong, EdgeMap::weak] {
                    contour_quads(&map(edges), &mut quads);
                }
            }
            CandidateSource::Regions => region_quads(ctx.planes, &mut quads),
            CandidateSource::Lines => {
                if use_lines {
                    line_quads(&edges.weak(), ctx.grad, &mut quads);
                }
            }
        }
        quads
    }
}
