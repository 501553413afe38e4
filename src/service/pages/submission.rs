//! `/review/submissions/{id}`: one submission for a reviewer: its report (in a sandboxed frame),
//! the candidate's files as a tree with the chosen file highlighted, their README, and the
//! rubric form. A submitted review is merged into report.json exactly as `assay review merge`
//! merges sheets.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use super::{PageError, check_csrf, identity_shown, page, pseudonym, shown_name, viewer};
use crate::grade::review::{Sheet, SheetCriterion, SheetHeader, merge};
use crate::model::Report;
use crate::service::candidate_files::{self, CandidateFile};
use crate::service::db::{Status, Submission};
use crate::service::reviews::{Rated, ReviewRecord, Saved};
use crate::service::sessions::Session;
use crate::service::{Assignment, Service};
use crate::store::ReportDir;

const PAGE: &str = include_str!("../templates/review/submission.html");

/// The report frame: our own rendering, still kept from running or loading anything.
const REPORT_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; \
     base-uri 'none'; form-action 'none'; sandbox";

/// Longest comment kept, in characters.
const COMMENT_CHARS: usize = 5000;

#[derive(Deserialize)]
pub struct FileQuery {
    file: Option<String>,
}

/// What one viewer may see of one submission.
struct Visibility {
    /// The candidate's name, email and archive name.
    identity: bool,
    /// Other reviewers' scores.
    others: bool,
}

struct Loaded {
    session: Session,
    submission: Submission,
    reviews: Vec<ReviewRecord>,
    visibility: Visibility,
}

async fn load(service: &Service, headers: &HeaderMap, id: &str) -> Result<Loaded, PageError> {
    let session = viewer(service, headers).await?;
    let submission = service
        .db
        .get(id)
        .await?
        .ok_or_else(|| PageError::not_found("There is no such submission."))?;
    let reviews = service.db.reviews_of(id).await?;
    let submitted = reviews.iter().any(|r| r.reviewer == session.reviewer && r.submitted);
    let visibility = Visibility {
        identity: identity_shown(&session, assignment(service, &submission), submitted),
        others: session.admin || submitted,
    };
    Ok(Loaded {
        session,
        submission,
        reviews,
        visibility,
    })
}

fn assignment<'a>(service: &'a Service, submission: &Submission) -> Option<&'a Assignment> {
    service.assignments.get(&submission.assignment)
}

fn report_dir(service: &Service, submission: &Submission) -> Option<ReportDir> {
    service.report_dir(submission)
}

/// The report as this viewer may see it: no archive name or times while blind, no other
/// reviewer's scores before their own are in.
fn shown_report(mut report: Report, submission: &Submission, visibility: &Visibility) -> Report {
    if !visibility.identity {
        report.submission.name = pseudonym(&submission.id);
        report.provenance.started_at = "hidden while the review is blind".to_string();
        report.provenance.finished_at = "hidden while the review is blind".to_string();
    }
    if !visibility.others {
        report.review = None;
    }
    report
}

#[derive(Serialize)]
struct LevelView {
    id: String,
    value: String,
    checked: bool,
}

#[derive(Serialize)]
struct CriterionView {
    index: usize,
    name: String,
    weight: f64,
    guidance: String,
    levels: Vec<LevelView>,
    comment: String,
}

#[derive(Serialize)]
struct OtherReview {
    reviewer: String,
    submitted: bool,
    ratings: Vec<Rated>,
}

#[derive(Serialize)]
struct FileEntry {
    /// Empty for a folder.
    path: String,
    depth: usize,
    name: String,
    current: bool,
}

/// Files as a tree: each folder once, before the files in it, with its depth.
fn tree(files: &[CandidateFile], current: &str) -> Vec<FileEntry> {
    let mut entries = Vec::new();
    let mut open: Vec<&str> = Vec::new();
    for file in files {
        let parts: Vec<&str> = file.path.split('/').collect();
        let folders = &parts[..parts.len() - 1];
        let shared = open.iter().zip(folders).take_while(|(a, b)| a == b).count();
        open.truncate(shared);
        for (depth, folder) in folders.iter().enumerate().skip(shared) {
            entries.push(FileEntry {
                path: String::new(),
                depth,
                name: format!("{folder}/"),
                current: false,
            });
            open.push(folder);
        }
        entries.push(FileEntry {
            path: file.path.clone(),
            depth: folders.len(),
            name: parts[parts.len() - 1].to_string(),
            current: file.path == current,
        });
    }
    entries
}

pub async fn show(
    State(service): State<Arc<Service>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<FileQuery>,
) -> Result<Response, PageError> {
    let Loaded {
        session,
        submission,
        reviews,
        visibility,
    } = load(&service, &headers, &id).await?;
    let spec = assignment(&service, &submission).map(|a| &a.spec);
    let dir = report_dir(&service, &submission);
    let files = match &dir {
        Some(dir) if dir.stored_copy().exists() => {
            let path = dir.stored_copy();
            tokio::task::spawn_blocking(move || candidate_files::read_stored_copy(&path))
                .await
                .map_err(PageError::internal)?
                .map_err(PageError::internal)?
        }
        _ => Vec::new(),
    };
    let files: Vec<CandidateFile> = files
        .into_iter()
        .filter(|f| visibility.identity || !candidate_files::names_the_author(&f.path))
        .collect();
    let readme_html = candidate_files::readme(&files).map(candidate_files::render);
    let current = query
        .file
        .as_deref()
        .and_then(|wanted| files.iter().find(|f| f.path == wanted))
        .or_else(|| {
            files
                .iter()
                .find(|f| !f.path.to_ascii_lowercase().starts_with("readme"))
        })
        .or(files.first());
    let file_html = current.map(candidate_files::render);
    let starter_diff = match (current, spec) {
        (Some(file), Some(spec)) => candidate_files::starter_diff(&spec.dir.join("starter"), file),
        _ => None,
    };
    let mine = reviews.iter().find(|r| r.reviewer == session.reviewer);
    let criteria: Vec<CriterionView> = spec
        .map(|s| s.rubric.as_slice())
        .unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(index, c)| {
            let rated = mine.and_then(|m| m.ratings.iter().find(|r| r.criterion == c.criterion));
            CriterionView {
                index,
                name: c.criterion.clone(),
                weight: c.weight,
                guidance: c.guidance.clone(),
                levels: c
                    .levels
                    .iter()
                    .enumerate()
                    .map(|(j, level)| LevelView {
                        id: format!("c{index}-l{j}"),
                        value: level.clone(),
                        checked: rated.is_some_and(|r| r.level == *level),
                    })
                    .collect(),
                comment: rated.map(|r| r.comment.clone()).unwrap_or_default(),
            }
        })
        .collect();
    let others: Vec<OtherReview> = if visibility.others {
        reviews
            .iter()
            .filter(|r| r.reviewer != session.reviewer)
            .map(|r| OtherReview {
                reviewer: r.reviewer.clone(),
                submitted: r.submitted,
                ratings: r.ratings.clone(),
            })
            .collect()
    } else {
        Vec::new()
    };
    let name = shown_name(&submission, visibility.identity);
    let email = if visibility.identity {
        submission.email.clone().unwrap_or_default()
    } else {
        String::new()
    };
    page(
        "submission.html",
        PAGE,
        &minijinja::context! {
            title => name.clone(), me => session.reviewer, csrf => session.csrf,
            extra_css => format!("{}\n{}", candidate_files::highlight_css(), crate::report::notebook::NOTEBOOK_CSS),
            id => submission.id, name, email, identity => visibility.identity,
            assignment => submission.assignment, status => submission.status.as_str(),
            verdict => submission.verdict.unwrap_or_default(),
            summary => submission.summary.unwrap_or_default(),
            has_report => dir.as_ref().is_some_and(|d| d.report_json().exists()),
            files => super::value(tree(&files, current.map(|f| f.path.as_str()).unwrap_or(""))),
            current => current.map(|f| f.path.clone()).unwrap_or_default(),
            file_html => minijinja::Value::from_safe_string(file_html.unwrap_or_default()),
            readme_html => minijinja::Value::from_safe_string(readme_html.unwrap_or_default()),
            starter_diff => minijinja::Value::from_safe_string(starter_diff.unwrap_or_default()),
            criteria => super::value(&criteria), others => super::value(&others),
            others_hidden => !visibility.others,
            can_review => submission.status == Status::Graded && mine.is_none_or(|m| !m.submitted),
            submitted => mine.is_some_and(|m| m.submitted),
        },
    )
}

/// The report, rendered for this viewer, for the page's sandboxed frame.
pub async fn report(
    State(service): State<Arc<Service>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let Loaded {
        submission, visibility, ..
    } = load(&service, &headers, &id).await?;
    let report = report_dir(&service, &submission)
        .and_then(|dir| dir.read_report())
        .ok_or_else(|| PageError::not_found("This submission has no report yet."))?;
    let html = crate::report::html::render(&shown_report(report, &submission, &visibility))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(REPORT_POLICY)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        ],
        html,
    )
        .into_response())
}

fn bad_form(message: String) -> PageError {
    PageError::Status(StatusCode::BAD_REQUEST, message)
}

pub async fn save(
    State(service): State<Arc<Service>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let Loaded {
        session, submission, ..
    } = load(&service, &headers, &id).await?;
    check_csrf(&session, form.get("csrf"))?;
    let submit = match form.get("action").map(String::as_str) {
        Some("submit") => true,
        Some("draft") => false,
        _ => return Err(bad_form("action: draft or submit".into())),
    };
    if submission.status != Status::Graded {
        return Err(PageError::Status(
            StatusCode::CONFLICT,
            "Only a graded submission can be reviewed.".into(),
        ));
    }
    let Some(assignment) = assignment(&service, &submission) else {
        return Err(PageError::not_found("This server no longer grades this assignment."));
    };
    let mut ratings = Vec::new();
    for (i, criterion) in assignment.spec.rubric.iter().enumerate() {
        let level = form.get(&format!("level-{i}")).cloned().unwrap_or_default();
        if !level.is_empty() && !criterion.levels.contains(&level) {
            return Err(bad_form(format!(
                "{}: {:?} is not one of its levels",
                criterion.criterion, level
            )));
        }
        if submit && level.is_empty() {
            return Err(bad_form(format!(
                "{}: choose a level before submitting (or save a draft)",
                criterion.criterion
            )));
        }
        let comment = form.get(&format!("comment-{i}")).map(String::as_str).unwrap_or("");
        ratings.push(Rated {
            criterion: criterion.criterion.clone(),
            level,
            comment: crate::text::plain(comment).chars().take(COMMENT_CHARS).collect(),
        });
    }
    match service.db.save_review(&id, &session.reviewer, &ratings, submit).await? {
        Saved::AlreadySubmitted => {
            return Err(PageError::Status(
                StatusCode::CONFLICT,
                "You submitted your review of this submission already; a submitted review is final.".into(),
            ));
        }
        Saved::Draft => {}
        Saved::Submitted => merge_submitted(&service, &submission, assignment).await?,
    }
    Ok(Redirect::to(&format!("/review/submissions/{id}")).into_response())
}

/// Merges every submitted review into report.json (and its renderings), as `assay review
/// merge` does with sheets; once the assignment's number of reviewers is reached, records the
/// `review.completed` event.
async fn merge_submitted(service: &Service, submission: &Submission, assignment: &Assignment) -> Result<(), PageError> {
    let dir = report_dir(service, submission).ok_or_else(|| PageError::not_found("This submission has no report."))?;
    let _lock = dir.lock_async().await.map_err(PageError::internal)?;
    let mut report = dir
        .read_report()
        .ok_or_else(|| PageError::not_found("This submission has no report."))?;
    let submitted: Vec<ReviewRecord> = service
        .db
        .reviews_of(&submission.id)
        .await?
        .into_iter()
        .filter(|r| r.submitted)
        .collect();
    let sheets: Vec<(PathBuf, Sheet)> = submitted.iter().map(|r| sheet(&report, r)).collect();
    let merged = merge(&report, &sheets).map_err(|why| PageError::Status(StatusCode::CONFLICT, why))?;
    let final_score = merged.final_score;
    let alpha = merged.alpha;
    report.review = Some(merged);
    let written = {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || dir.write_report(&report))
    };
    written
        .await
        .map_err(PageError::internal)?
        .map_err(PageError::internal)?;
    if submitted.len() == assignment.spec.review.reviewers as usize {
        let event = crate::service::outbox::Event {
            name: "review.completed",
            data: serde_json::json!({
                "id": submission.id,
                "assignment": submission.assignment,
                "candidate": submission.candidate,
                "external_id": submission.external_id,
                "reviewers": submitted.len(),
                "final_score": final_score.total,
                "final_max": final_score.max,
                "alpha": alpha,
                "report_url": format!("{}/api/v1/submissions/{}/report.json", service.public_url, submission.id),
            "review_url": service.profile_url(&submission.id),
            }),
        };
        service.db.record_event(&event).await?;
        service.notify_changes();
    }
    Ok(())
}

/// A browser review as the sheet `assay review init` would have made and the reviewer filled.
fn sheet(report: &Report, review: &ReviewRecord) -> (PathBuf, Sheet) {
    let criteria = report
        .rubric
        .iter()
        .filter_map(|c| {
            let rated = review.ratings.iter().find(|r| r.criterion == c.criterion)?;
            Some(SheetCriterion {
                name: c.criterion.clone(),
                weight: c.weight,
                levels: c.levels.clone(),
                level: rated.level.clone(),
                comment: rated.comment.clone(),
            })
        })
        .collect();
    let sheet = Sheet {
        review: SheetHeader {
            assignment: report.assignment.id.clone(),
            submission: report.submission.sha256.clone(),
            reviewer: review.reviewer.clone(),
        },
        criteria,
    };
    (PathBuf::from(format!("the review by {}", review.reviewer)), sheet)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_show_once_before_their_files() {
        let files: Vec<CandidateFile> = ["README.md", "src/a.py", "src/lib/b.py", "src/z.py", "tests/t.py"]
            .iter()
            .map(|p| CandidateFile {
                path: p.to_string(),
                bytes: 0,
                content: None,
            })
            .collect();
        let shown: Vec<String> = tree(&files, "src/z.py")
            .iter()
            .map(|e| {
                format!(
                    "{}{}{}",
                    "  ".repeat(e.depth),
                    e.name,
                    if e.current { " *" } else { "" }
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                "README.md",
                "src/",
                "  a.py",
                "  lib/",
                "    b.py",
                "  z.py *",
                "tests/",
                "  t.py"
            ]
        );
    }
}
