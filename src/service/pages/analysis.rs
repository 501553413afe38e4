//! `/review/assignments/{id}/analysis`: the round as a whole: similarity between graded
//! submissions (under the names the viewer may see), how well each hidden test and metric
//! threshold tells candidates apart, and the images and engines the round was graded with.
//! Worked out when asked, off the async workers: it reads every graded submission's files.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Serialize;

use super::{PageError, page, viewer};
use crate::report::round::{ItemView, item_view};
use crate::report::similarity::{percent, plain_fragment};
use crate::round::discrimination::discrimination;
use crate::service::Service;
use crate::similarity::{Comparison, Fragment, Settings};
use crate::store::round_sources;
use crate::text::plain;

const PAGE: &str = include_str!("../templates/review/analysis.html");

#[derive(Serialize)]
struct PairView {
    a_id: String,
    a: String,
    b_id: Option<String>,
    b: String,
    score: String,
    share_a: String,
    share_b: String,
    shared: usize,
    fragments: Vec<Fragment>,
}

/// What was read and worked out for the page.
struct Analysis {
    graded: usize,
    comparison: Comparison,
    items: Vec<ItemView>,
    images: Vec<String>,
    engines: Vec<String>,
    warnings: Vec<String>,
}

/// Reads each graded submission's report and files, by submission id.
fn analyse(spec: &crate::spec::Spec, graded: Vec<(String, crate::store::ReportDir)>) -> Result<Analysis, String> {
    let (starter, mut documents) = round_sources::assignment(spec).map_err(|e| e.to_string())?;
    let mut reports = Vec::new();
    for (id, dir) in &graded {
        match crate::store::read_report(&dir.report_json()) {
            Ok(report) => reports.push(report),
            Err(e) => tracing::warn!("{id}: report left out of the round's analysis: {e}"),
        }
        match round_sources::submission(id, dir) {
            Ok(Some(document)) => documents.push(document),
            Ok(None) => {}
            Err(e) => tracing::warn!("{id}: files left out of similarity: {e}"),
        }
    }
    let settings = Settings {
        threshold: spec.similarity.threshold,
        ..Settings::default()
    };
    let mut warnings = Vec::new();
    let comparison = crate::similarity::compare_in_child(&documents, &starter, settings).unwrap_or_else(|why| {
        tracing::error!("{}: {why}", spec.id);
        warnings.push("Similarity could not be worked out this time; the server's log says why.".to_string());
        Comparison::empty(settings)
    });
    let items = discrimination(&reports).iter().map(item_view).collect();
    let report_refs: Vec<&crate::model::Report> = reports.iter().collect();
    let conditions = crate::round::conditions::assess(&report_refs, &[], spec.round.drift);
    let listed = |used: &[crate::round::conditions::Used]| -> Vec<String> {
        used.iter()
            .map(|u| format!("{} ({} submission(s))", plain(&u.value), u.submissions))
            .collect()
    };
    Ok(Analysis {
        graded: graded.len(),
        items,
        images: listed(&conditions.images),
        engines: listed(&conditions.engines),
        warnings: warnings
            .into_iter()
            .chain(conditions.warnings.iter().map(|w| plain(w)))
            .collect(),
        comparison,
    })
}

pub async fn show(
    State(service): State<Arc<Service>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let session = viewer(&service, &headers).await?;
    let assignment = super::round::assignment(&service, &id)?;
    let (rows, submissions) = super::round::rows(&service, &session, assignment).await?;
    // Names as this viewer may see them: a blind review shows labels, not candidates.
    let shown: HashMap<String, String> = rows.into_iter().map(|r| (r.id, r.name)).collect();
    let graded: Vec<(String, crate::store::ReportDir)> = submissions
        .iter()
        .filter(|s| s.status.as_str() == "graded")
        .filter_map(|s| service.report_dir(s).map(|dir| (s.id.clone(), dir)))
        .collect();
    let spec = assignment.spec.clone();
    let analysis = tokio::task::spawn_blocking(move || analyse(&spec, graded))
        .await
        .map_err(PageError::internal)?
        .map_err(PageError::internal)?;
    let name = |id: &str| shown.get(id).cloned().unwrap_or_else(|| plain(id));
    let pairs: Vec<PairView> = analysis
        .comparison
        .pairs
        .iter()
        .map(|p| PairView {
            a_id: p.a.clone(),
            a: name(&p.a),
            b_id: (!p.b_corpus).then(|| p.b.clone()),
            b: if p.b_corpus { plain(&p.b) } else { name(&p.b) },
            score: percent(p.score),
            share_a: percent(p.share_a),
            share_b: percent(p.share_b),
            shared: p.shared,
            fragments: p.fragments.iter().map(plain_fragment).collect(),
        })
        .collect();
    let clusters: Vec<Vec<String>> = analysis
        .comparison
        .clusters
        .iter()
        .map(|c| {
            c.iter()
                .map(|id| if shown.contains_key(id) { name(id) } else { plain(id) })
                .collect()
        })
        .collect();
    page(
        "analysis.html",
        PAGE,
        &minijinja::context! {
            title => format!("Analysis: {}", assignment.spec.title), me => session.reviewer, csrf => session.csrf,
            extra_css => "", assignment => &assignment.spec.id, assignment_title => &assignment.spec.title,
            graded => analysis.graded, corpus => analysis.comparison.corpus,
            threshold => percent(analysis.comparison.settings.threshold),
            pairs => super::value(&pairs), clusters => super::value(&clusters),
            items => super::value(&analysis.items), images => analysis.images, engines => analysis.engines,
            warnings => analysis.warnings,
        },
    )
}
