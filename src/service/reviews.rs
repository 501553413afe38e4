//! Rubric reviews entered in the browser, as the database keeps them: who reviews which
//! submission (assigned round-robin), and each reviewer's ratings, a draft until submitted.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::clock::now;
use super::db::{Database, DbError};

/// One criterion as a reviewer rated it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rated {
    pub criterion: String,
    /// One of the criterion's levels, or empty while a draft leaves it open.
    pub level: String,
    pub comment: String,
}

/// One reviewer's review of one submission.
#[derive(Debug, Clone)]
pub struct ReviewRecord {
    pub submission_id: String,
    pub reviewer: String,
    pub submitted: bool,
    pub ratings: Vec<Rated>,
}

/// Where a submission's review stands.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReviewState {
    pub drafts: usize,
    pub submitted: usize,
}

impl ReviewState {
    pub fn label(&self) -> String {
        match (self.submitted, self.drafts) {
            (0, 0) => "unreviewed".to_string(),
            (0, _) => "in review".to_string(),
            (k, _) => format!("reviewed by {k}"),
        }
    }
}

/// What saving a review did.
#[derive(Debug, PartialEq, Eq)]
pub enum Saved {
    Draft,
    Submitted,
    /// The reviewer had submitted already: a submitted review is never changed.
    AlreadySubmitted,
}

/// Picks reviewers for submissions that have fewer than `per_submission`: the least loaded
/// reviewer not yet on the submission, under `cap`, ties broken by name. Pure, so the rule is
/// tested on its own; `have` is every current (submission, reviewer) pair.
pub fn pick_reviewers(
    submissions: &[String],
    reviewers: &[String],
    have: &[(String, String)],
    per_submission: usize,
    cap: usize,
) -> Vec<(String, String)> {
    let mut load: BTreeMap<&str, usize> = reviewers.iter().map(|r| (r.as_str(), 0)).collect();
    let mut on: HashMap<&str, Vec<&str>> = HashMap::new();
    for (submission, reviewer) in have {
        if let Some(n) = load.get_mut(reviewer.as_str()) {
            *n += 1;
        }
        on.entry(submission.as_str()).or_default().push(reviewer.as_str());
    }
    let mut picked = Vec::new();
    for submission in submissions {
        let mut already: Vec<&str> = on.get(submission.as_str()).cloned().unwrap_or_default();
        while already.len() < per_submission {
            let next = load
                .iter()
                .filter(|(r, n)| **n < cap && !already.contains(r))
                .min_by_key(|(r, n)| (**n, **r))
                .map(|(r, _)| *r);
            let Some(reviewer) = next else { break };
            *load.get_mut(reviewer).expect("a known reviewer") += 1;
            already.push(reviewer);
            picked.push((submission.clone(), reviewer.to_string()));
        }
    }
    picked
}

impl Database {
    /// Records an event for the webhooks (in the outbox, delivered from there).
    pub async fn record_event(&self, event: &super::outbox::Event) -> Result<(), DbError> {
        let mut transaction = self.pool().begin().await?;
        super::outbox::enqueue(&mut transaction, event).await?;
        transaction.commit().await?;
        Ok(())
    }

    /// Reviewers (holders of live review tokens, and review passwords), each once.
    pub async fn reviewers(&self) -> Result<Vec<String>, DbError> {
        let rows = sqlx::query("SELECT id, name FROM tokens WHERE scope = 'review' AND revoked_at IS NULL")
            .fetch_all(self.pool())
            .await?;
        let mut names: Vec<String> = rows.iter().map(super::db::holder).collect::<Result<_, _>>()?;
        let with_passwords = sqlx::query("SELECT reviewer FROM passwords WHERE scope = 'review'")
            .fetch_all(self.pool())
            .await?;
        for row in &with_passwords {
            names.push(row.try_get("reviewer")?);
        }
        names.sort();
        names.dedup();
        Ok(names)
    }

    /// Gives every graded submission to one assignment its reviewers, as far as the cap allows.
    /// Returns how many assignments were made.
    pub async fn assign_reviews(&self, assignment: &str, per_submission: usize, cap: usize) -> Result<usize, DbError> {
        let reviewers = self.reviewers().await?;
        let mut transaction = self.pool().begin().await?;
        let graded: Vec<String> =
            sqlx::query("SELECT id FROM submissions WHERE assignment = $1 AND status = 'graded' ORDER BY seq")
                .bind(assignment)
                .fetch_all(&mut *transaction)
                .await?
                .iter()
                .map(|r| r.try_get("id"))
                .collect::<Result<_, _>>()?;
        // A reviewer's load counts across assignments: the cap is per reviewer.
        let have: Vec<(String, String)> = sqlx::query("SELECT submission_id, reviewer FROM review_assignments")
            .fetch_all(&mut *transaction)
            .await?
            .iter()
            .map(|r| Ok::<_, sqlx::Error>((r.try_get("submission_id")?, r.try_get("reviewer")?)))
            .collect::<Result<_, _>>()?;
        let picked = pick_reviewers(&graded, &reviewers, &have, per_submission, cap);
        let at = now();
        for (submission, reviewer) in &picked {
            sqlx::query(
                "INSERT INTO review_assignments (submission_id, reviewer, assigned_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (submission_id, reviewer) DO NOTHING",
            )
            .bind(submission)
            .bind(reviewer)
            .bind(&at)
            .execute(&mut *transaction)
            .await?;
        }
        transaction.commit().await?;
        Ok(picked.len())
    }

    /// The submissions given to one reviewer, in upload order.
    pub async fn assigned_to(&self, reviewer: &str) -> Result<Vec<String>, DbError> {
        let rows = sqlx::query(
            "SELECT a.submission_id FROM review_assignments a JOIN submissions s ON s.id = a.submission_id \
             WHERE a.reviewer = $1 ORDER BY s.seq",
        )
        .bind(reviewer)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .iter()
            .map(|r| r.try_get("submission_id"))
            .collect::<Result<_, _>>()?)
    }

    /// Review state of every submission to one assignment that has a review, by submission id.
    pub async fn review_states(&self, assignment: &str) -> Result<HashMap<String, ReviewState>, DbError> {
        let mut states: HashMap<String, ReviewState> = HashMap::new();
        let reviews = sqlx::query(
            "SELECT r.submission_id, r.state FROM reviews r JOIN submissions s ON s.id = r.submission_id \
             WHERE s.assignment = $1",
        )
        .bind(assignment)
        .fetch_all(self.pool())
        .await?;
        for row in &reviews {
            let id: String = row.try_get("submission_id")?;
            let state: String = row.try_get("state")?;
            let entry = states.entry(id).or_default();
            if state == "submitted" {
                entry.submitted += 1;
            } else {
                entry.drafts += 1;
            }
        }
        Ok(states)
    }

    /// Every review of one submission.
    pub async fn reviews_of(&self, submission_id: &str) -> Result<Vec<ReviewRecord>, DbError> {
        let rows = sqlx::query(
            "SELECT submission_id, reviewer, state, ratings FROM reviews \
             WHERE submission_id = $1 ORDER BY submitted_at, reviewer",
        )
        .bind(submission_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(review).collect()
    }

    /// Every submitted review of one assignment's submissions.
    pub async fn submitted_reviews(&self, assignment: &str) -> Result<Vec<ReviewRecord>, DbError> {
        let rows = sqlx::query(
            "SELECT r.submission_id, r.reviewer, r.state, r.ratings FROM reviews r \
             JOIN submissions s ON s.id = r.submission_id \
             WHERE s.assignment = $1 AND r.state = 'submitted' ORDER BY s.seq, r.reviewer",
        )
        .bind(assignment)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(review).collect()
    }

    /// Saves a reviewer's ratings as a draft, or submits them; a submitted review stays as it was.
    pub async fn save_review(
        &self,
        submission_id: &str,
        reviewer: &str,
        ratings: &[Rated],
        submit: bool,
    ) -> Result<Saved, DbError> {
        let json = serde_json::to_string(ratings).map_err(|e| DbError::Corrupt(e.to_string()))?;
        let at = now();
        let state = if submit { "submitted" } else { "draft" };
        let submitted_at = submit.then(|| at.clone());
        let done = sqlx::query(
            "INSERT INTO reviews (submission_id, reviewer, state, ratings, updated_at, submitted_at) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (submission_id, reviewer) DO UPDATE SET state = $3, ratings = $4, updated_at = $5, \
             submitted_at = $6 WHERE reviews.state = 'draft'",
        )
        .bind(submission_id)
        .bind(reviewer)
        .bind(state)
        .bind(&json)
        .bind(&at)
        .bind(submitted_at)
        .execute(self.pool())
        .await?;
        Ok(match (done.rows_affected(), submit) {
            (0, _) => Saved::AlreadySubmitted,
            (_, true) => Saved::Submitted,
            (_, false) => Saved::Draft,
        })
    }
}

fn review(row: &sqlx::any::AnyRow) -> Result<ReviewRecord, DbError> {
    let ratings: String = row.try_get("ratings")?;
    let state: String = row.try_get("state")?;
    Ok(ReviewRecord {
        submission_id: row.try_get("submission_id")?,
        reviewer: row.try_get("reviewer")?,
        submitted: state == "submitted",
        ratings: serde_json::from_str(&ratings).map_err(|e| DbError::Corrupt(format!("a review's ratings: {e}")))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn reviewers_are_given_round_robin_under_a_cap() {
        let submissions = names(&["s1", "s2", "s3"]);
        let reviewers = names(&["ann", "bob", "cy"]);
        let picked = pick_reviewers(&submissions, &reviewers, &[], 2, 10);
        let pairs: Vec<(&str, &str)> = picked.iter().map(|(s, r)| (s.as_str(), r.as_str())).collect();
        assert_eq!(
            pairs,
            [
                ("s1", "ann"),
                ("s1", "bob"),
                ("s2", "cy"),
                ("s2", "ann"),
                ("s3", "bob"),
                ("s3", "cy")
            ]
        );
        // With a cap of one, only the first submission and half the second get reviewers.
        let capped = pick_reviewers(&submissions, &reviewers, &[], 2, 1);
        assert_eq!(capped.len(), 3);
        // Assignments already made count, and are not made twice.
        let have = vec![("s1".to_string(), "ann".to_string())];
        let more = pick_reviewers(&submissions[..1], &reviewers, &have, 2, 10);
        assert_eq!(more, vec![("s1".to_string(), "bob".to_string())]);
    }

    #[test]
    fn a_submission_never_gets_one_reviewer_twice() {
        let picked = pick_reviewers(&names(&["s1"]), &names(&["ann"]), &[], 3, 10);
        assert_eq!(picked.len(), 1);
    }
}
