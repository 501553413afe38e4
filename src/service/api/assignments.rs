//! `/api/v1/assignments`: what the server grades. Never a hidden file, path or label.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde::Serialize;

use super::{ApiError, authorize};
use crate::service::auth::Need;
use crate::service::{Assignment, Service};

#[derive(Serialize, utoipa::ToSchema)]
pub struct AssignmentView {
    pub id: String,
    pub title: String,
    pub version: String,
    pub spec_sha256: String,
    /// Phase names, in the order they run.
    pub phases: Vec<String>,
    pub metrics: Vec<MetricView>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MetricView {
    pub name: String,
    pub kind: String,
    pub weight: f64,
    pub pass_at: Option<f64>,
}

fn view(assignment: &Assignment) -> AssignmentView {
    let spec = &assignment.spec;
    AssignmentView {
        id: spec.id.clone(),
        title: spec.title.clone(),
        version: spec.version.clone(),
        spec_sha256: spec.sha256.clone(),
        phases: spec.phases.iter().map(|p| p.name.clone()).collect(),
        metrics: spec
            .metrics
            .iter()
            .map(|m| MetricView {
                name: m.name.clone(),
                kind: m.kind.name().to_string(),
                weight: m.weight,
                pass_at: m.pass_at,
            })
            .collect(),
    }
}

/// Every assignment this server grades.
#[utoipa::path(get, path = "/api/v1/assignments", responses(
    (status = 200, body = Vec<AssignmentView>),
    (status = 401, body = super::ErrorBody),
))]
pub async fn list(
    State(service): State<Arc<Service>>,
    headers: HeaderMap,
) -> Result<Json<Vec<AssignmentView>>, ApiError> {
    authorize(&service, &headers, Need::Read).await?;
    Ok(Json(service.assignments.values().map(view).collect()))
}

/// One assignment.
#[utoipa::path(get, path = "/api/v1/assignments/{id}", params(("id" = String, Path)), responses(
    (status = 200, body = AssignmentView),
    (status = 404, body = super::ErrorBody),
))]
pub async fn get(
    State(service): State<Arc<Service>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<AssignmentView>, ApiError> {
    authorize(&service, &headers, Need::Read).await?;
    service
        .assignments
        .get(&id)
        .map(|a| Json(view(a)))
        .ok_or_else(|| ApiError::not_found("no such assignment"))
}
