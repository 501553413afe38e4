//! `/review/assignments/{id}`: the round (every submission with its grade and review state,
//! sortable and filterable, a score histogram, each test group's pass share, a CSV export) and
//! its agreement page.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::{PageError, identity_shown, page, shown_name, viewer};
use crate::service::agreement::{Scored, agreement as measure};
use crate::service::db::Submission;
use crate::service::reviews::ReviewState;
use crate::service::sessions::Session;
use crate::service::{Assignment, Service};

const PAGE: &str = include_str!("../templates/review/round.html");
const AGREEMENT: &str = include_str!("../templates/review/agreement.html");

/// The page's query: what to sort by and which rows to keep. Unknown values are ignored.
#[derive(Debug, Default, Deserialize)]
pub struct RoundQuery {
    sort: Option<String>,
    order: Option<String>,
    status: Option<String>,
    review: Option<String>,
}

#[derive(Debug, Serialize)]
pub(super) struct Row {
    pub(super) id: String,
    pub(super) name: String,
    status: String,
    verdict: String,
    score: String,
    score_share: Option<f64>,
    reproducibility: String,
    review: String,
    review_rank: usize,
    seq: i64,
}

pub(super) fn assignment<'a>(service: &'a Service, id: &str) -> Result<&'a Assignment, PageError> {
    service
        .assignments
        .get(id)
        .ok_or_else(|| PageError::not_found("This server grades no such assignment."))
}

pub(super) async fn rows(
    service: &Service,
    session: &Session,
    assignment: &Assignment,
) -> Result<(Vec<Row>, Vec<Submission>), PageError> {
    super::queue::assign_all(service).await?;
    let id = &assignment.spec.id;
    let submissions = service.db.round(id).await?;
    let states = service.db.review_states(id).await?;
    let mine: HashSet<String> = service
        .db
        .submitted_reviews(id)
        .await?
        .into_iter()
        .filter(|r| r.reviewer == session.reviewer)
        .map(|r| r.submission_id)
        .collect();
    let none = ReviewState::default();
    let rows = submissions
        .iter()
        .map(|s| {
            let state = states.get(&s.id).unwrap_or(&none);
            Row {
                id: s.id.clone(),
                name: shown_name(s, identity_shown(session, Some(assignment), mine.contains(&s.id))),
                status: s.status.as_str().to_string(),
                verdict: s.verdict.clone().unwrap_or_default(),
                score: match (s.score, s.max_score) {
                    (Some(score), Some(max)) => format!("{score:.2} / {max:.2}"),
                    _ => String::new(),
                },
                score_share: match (s.score, s.max_score) {
                    (Some(score), Some(max)) if max > 0.0 => Some(score / max),
                    _ => None,
                },
                reproducibility: s.reproducibility.clone().unwrap_or_default(),
                review: state.label(),
                review_rank: if state.submitted > 0 {
                    2 + state.submitted
                } else {
                    usize::from(state.drafts > 0)
                },
                seq: s.seq,
            }
        })
        .collect();
    Ok((rows, submissions))
}

fn keep(rows: Vec<Row>, query: &RoundQuery) -> Vec<Row> {
    let mut rows: Vec<Row> = rows
        .into_iter()
        .filter(|r| query.status.as_deref().is_none_or(|s| s.is_empty() || r.status == s))
        .filter(|r| match query.review.as_deref() {
            Some("unreviewed") => r.review_rank == 0,
            Some("in_review") => r.review_rank == 1,
            Some("reviewed") => r.review_rank >= 2,
            _ => true,
        })
        .collect();
    match query.sort.as_deref() {
        Some("score") => rows.sort_by(|a, b| {
            a.score_share
                .unwrap_or(-1.0)
                .total_cmp(&b.score_share.unwrap_or(-1.0))
                .then(a.seq.cmp(&b.seq))
        }),
        Some("verdict") => rows.sort_by(|a, b| a.verdict.cmp(&b.verdict).then(a.seq.cmp(&b.seq))),
        Some("review") => rows.sort_by(|a, b| a.review_rank.cmp(&b.review_rank).then(a.seq.cmp(&b.seq))),
        Some("name") => rows.sort_by(|a, b| a.name.cmp(&b.name).then(a.seq.cmp(&b.seq))),
        _ => {}
    }
    if query.order.as_deref() == Some("desc") {
        rows.reverse();
    }
    rows
}

/// Ten bars: how many graded submissions scored 0-10 %, 10-20 %, ... of the maximum.
fn histogram(rows: &[Row]) -> Vec<(String, usize, f64)> {
    let mut counts = [0usize; 10];
    for share in rows.iter().filter_map(|r| r.score_share) {
        counts[((share * 10.0).floor().max(0.0) as usize).min(9)] += 1;
    }
    let top = counts.iter().copied().max().unwrap_or(0).max(1);
    counts
        .iter()
        .enumerate()
        .map(|(i, &n)| (format!("{}%", i * 10), n, n as f64 * 100.0 / top as f64))
        .collect()
}

/// Each hidden test group: how many graded submissions passed it, of how many ran it.
fn group_shares(submissions: &[Submission]) -> Vec<(String, usize, usize)> {
    #[derive(Deserialize)]
    struct Group {
        name: String,
        passed: bool,
    }
    let mut shares: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for submission in submissions {
        let groups: Vec<Group> = submission
            .test_groups
            .as_deref()
            .and_then(|g| serde_json::from_str(g).ok())
            .unwrap_or_default();
        for group in groups {
            let entry = shares.entry(group.name).or_default();
            entry.0 += usize::from(group.passed);
            entry.1 += 1;
        }
    }
    shares
        .into_iter()
        .map(|(name, (passed, total))| (name, passed, total))
        .collect()
}

pub async fn show(
    State(service): State<Arc<Service>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<RoundQuery>,
) -> Result<Response, PageError> {
    let session = viewer(&service, &headers).await?;
    let assignment = assignment(&service, &id)?;
    let (rows, submissions) = rows(&service, &session, assignment).await?;
    let histogram = histogram(&rows);
    let groups = group_shares(&submissions);
    let total = rows.len();
    let rows = keep(rows, &query);
    page(
        "round.html",
        PAGE,
        &minijinja::context! {
            title => format!("Round: {}", assignment.spec.title), me => session.reviewer, csrf => session.csrf,
            extra_css => "", assignment => &assignment.spec.id, assignment_title => &assignment.spec.title,
            rows => super::value(&rows), total,
            histogram => super::value(&histogram), groups => super::value(&groups),
            sort => query.sort.unwrap_or_default(), order => query.order.unwrap_or_default(),
            status => query.status.unwrap_or_default(), review => query.review.unwrap_or_default(),
        },
    )
}

pub async fn csv(
    State(service): State<Arc<Service>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<RoundQuery>,
) -> Result<Response, PageError> {
    let session = viewer(&service, &headers).await?;
    let assignment = assignment(&service, &id)?;
    let (rows, _) = rows(&service, &session, assignment).await?;
    let cell = crate::report::round::spreadsheet_cell;
    let write = || -> Result<Vec<u8>, csv::Error> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record([
            "id",
            "candidate",
            "status",
            "verdict",
            "score",
            "reproducibility",
            "review",
        ])?;
        for r in keep(rows, &query) {
            writer.write_record([
                r.id,
                cell(&r.name),
                r.status,
                r.verdict,
                r.score,
                r.reproducibility,
                r.review,
            ])?;
        }
        writer.into_inner().map_err(|e| e.into_error().into())
    };
    let body = write().map_err(PageError::internal)?;
    let disposition = format!("attachment; filename=\"round-{}.csv\"", assignment.spec.id);
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition).map_err(PageError::internal)?,
            ),
        ],
        body,
    )
        .into_response())
}

#[derive(Serialize)]
struct LeniencyView {
    reviewer: String,
    offset: String,
    ratings: usize,
}

pub async fn agreement(
    State(service): State<Arc<Service>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let session = viewer(&service, &headers).await?;
    let assignment = assignment(&service, &id)?;
    if !session.admin {
        // Offsets and flags would tell a reviewer how others scored before they score.
        return Err(PageError::Status(
            StatusCode::FORBIDDEN,
            "Agreement across reviewers is for admins: it shows how each reviewer scored.".into(),
        ));
    }
    let rubric = &assignment.spec.rubric;
    let reviews = service.db.submitted_reviews(&id).await?;
    let scored: Vec<Scored> = reviews
        .iter()
        .map(|r| Scored {
            submission: r.submission_id.clone(),
            reviewer: r.reviewer.clone(),
            levels: rubric
                .iter()
                .map(|c| {
                    r.ratings
                        .iter()
                        .find(|x| x.criterion == c.criterion)
                        .and_then(|x| c.levels.iter().position(|l| *l == x.level))
                })
                .collect(),
        })
        .collect();
    let found = measure(rubric, &scored);
    let names: HashMap<String, String> = service
        .db
        .round(&id)
        .await?
        .into_iter()
        .map(|s| (s.id, s.candidate))
        .collect();
    let alpha = |a: Option<f64>| a.map(|a| format!("{a:.3}")).unwrap_or_else(|| "n/a".to_string());
    let criteria: Vec<(String, String, String)> = found
        .criteria
        .iter()
        .map(|c| (c.criterion.clone(), alpha(c.alpha), format!("{:.2}", c.mean_spread)))
        .collect();
    let leniency: Vec<LeniencyView> = found
        .leniency
        .iter()
        .map(|l| LeniencyView {
            reviewer: l.reviewer.clone(),
            offset: format!("{:+.2}", l.offset),
            ratings: l.ratings,
        })
        .collect();
    let flagged: Vec<(String, String, String)> = found
        .flagged
        .iter()
        .map(|(s, criteria)| {
            (
                s.clone(),
                names.get(s).cloned().unwrap_or_default(),
                criteria.join(", "),
            )
        })
        .collect();
    page(
        "agreement.html",
        AGREEMENT,
        &minijinja::context! {
            title => format!("Agreement: {}", assignment.spec.title), me => session.reviewer, csrf => session.csrf,
            extra_css => "", assignment => &assignment.spec.id, assignment_title => &assignment.spec.title,
            overall => alpha(found.overall_alpha), criteria => super::value(&criteria),
            leniency => super::value(&leniency), flagged => super::value(&flagged),
            reviews => reviews.len(),
        },
    )
}
