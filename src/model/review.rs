//! The merged rubric review a report carries once reviewers scored it.

use serde::{Deserialize, Serialize};

use super::Score;

/// The merged review in the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    pub reviewers: Vec<String>,
    pub criteria: Vec<CriterionReview>,
    pub rubric_points: f64,
    pub rubric_max: f64,
    /// Objective score plus rubric points, over both maxima.
    pub final_score: Score,
    /// Krippendorff's alpha (interval) over all criteria; absent with one reviewer or no variation.
    pub alpha: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CriterionReview {
    pub criterion: String,
    pub weight: f64,
    pub levels: Vec<String>,
    pub ratings: Vec<Rating>,
    /// Mean level as a share of the top level, 0..1.
    pub mean: f64,
    pub points: f64,
    /// The largest difference between two reviewers, in levels.
    pub spread: usize,
    /// Reviewers differ by more than one level.
    pub disagreement: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rating {
    pub reviewer: String,
    pub level: String,
    pub comment: String,
}
