//! What the HTTP clients share: a request's failure said without the URL
//! (which may carry credentials: a token in a query, a Slack webhook path).

/// reqwest's error text, with its causes, without the URL: callers report
/// the URL separately (redacted) when they show it at all.
pub fn without_url(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(inner) = source {
        text = format!("{text}: {inner}");
        source = inner.source();
    }
    text
}
