//! Why a rendering could not be made. Every renderer works on a report already in memory, so
//! these are the harness's failures, never the candidate's.

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("rendering {name}")]
    Template {
        name: String,
        #[source]
        source: minijinja::Error,
    },
    #[error("writing report.json")]
    Json(#[from] serde_json::Error),
    #[error("writing junit.xml: {0}")]
    Junit(String),
    #[error("writing summary.csv: {0}")]
    Csv(String),
}

impl From<csv::Error> for RenderError {
    fn from(error: csv::Error) -> Self {
        RenderError::Csv(error.to_string())
    }
}
