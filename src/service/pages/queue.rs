//! `/review`: the reviewer's queue (the submissions given to them, and where each stands) and
//! the assignments served, with their round and agreement pages.

use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Serialize;

use super::{PageError, identity_shown, page, shown_name, viewer};
use crate::service::Service;

const PAGE: &str = include_str!("../templates/review/queue.html");

#[derive(Serialize)]
struct QueueItem {
    id: String,
    name: String,
    assignment: String,
    state: &'static str,
}

#[derive(Serialize)]
struct AssignmentLink {
    id: String,
    title: String,
}

/// Gives reviewers to every assignment's graded submissions, as far as the cap allows.
pub async fn assign_all(service: &Service) -> Result<(), PageError> {
    for assignment in service.assignments.values() {
        let per_submission = assignment.spec.review.reviewers as usize;
        service
            .db
            .assign_reviews(&assignment.spec.id, per_submission, service.review_cap)
            .await?;
    }
    Ok(())
}

pub async fn show(State(service): State<Arc<Service>>, headers: HeaderMap) -> Result<Response, PageError> {
    let session = viewer(&service, &headers).await?;
    assign_all(&service).await?;
    let mut items = Vec::new();
    for id in service.db.assigned_to(&session.reviewer).await? {
        let Some(submission) = service.db.get(&id).await? else {
            continue;
        };
        let mine = service
            .db
            .reviews_of(&id)
            .await?
            .into_iter()
            .find(|r| r.reviewer == session.reviewer);
        let state = match mine {
            Some(r) if r.submitted => "submitted",
            Some(_) => "draft",
            None => "to do",
        };
        let shown = identity_shown(
            &session,
            service.assignments.get(&submission.assignment),
            state == "submitted",
        );
        let name = shown_name(&submission, shown);
        items.push(QueueItem {
            id,
            name,
            assignment: submission.assignment,
            state,
        });
    }
    let assignments: Vec<AssignmentLink> = service
        .assignments
        .values()
        .map(|a| AssignmentLink {
            id: a.spec.id.clone(),
            title: a.spec.title.clone(),
        })
        .collect();
    let open = items.iter().filter(|i| i.state != "submitted").count();
    page(
        "queue.html",
        PAGE,
        &minijinja::context! {
            title => "My queue", me => session.reviewer, csrf => session.csrf, extra_css => "",
            items => super::value(&items), open,
            assignments => super::value(&assignments),
        },
    )
}
