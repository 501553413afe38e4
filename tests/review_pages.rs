//! The reviewers' pages in a real browser (headless Chromium through chromedriver) against a
//! real `assay serve`: log in, open the round and a submission, score the rubric (one reviewer
//! by keyboard alone, one by mouse), submit; blind review holds until each submits; the merge
//! equals `assay review merge` of the same sheets; candidate payloads run and fetch nothing.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::browser::Browser;
use common::server::{
    Server, client, cookie_value, get_json, http_log_in, no_redirects, set_cookie, token, token_named, wait_final,
};
use common::*;
use fantoccini::Locator;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;

const CANDIDATE: &str = "Jane Payload";
const EMAIL: &str = "jane.payload@example.org";

/// Counts every connection made to a loopback port: a payload that fetches anything shows here.
fn listener() -> (u16, Arc<AtomicUsize>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let fetched = Arc::new(AtomicUsize::new(0));
    let counter = fetched.clone();
    std::thread::spawn(move || {
        for connection in listener.incoming() {
            counter.fetch_add(1, Ordering::SeqCst);
            drop(connection);
        }
    });
    (port, fetched)
}

fn rubric_assignment() -> tempfile::TempDir {
    let dir = one_phase(
        "cat /workspace/main.txt",
        "",
        "[reproducibility]\nruns = 1\n\n\
         [[rubric]]\ncriterion = \"Code quality\"\nweight = 10\nlevels = [\"missing\", \"adequate\", \"strong\"]\n\
         guidance = \"Clear names and small functions\"\n\n\
         [[rubric]]\ncriterion = \"Communication\"\nweight = 5\nlevels = [\"poor\", \"fair\", \"good\", \"great\"]\n\n\
         [review]\nreviewers = 2\n",
    );
    write(dir.path(), "starter/main.py", "x = 1\n");
    dir
}

/// A zip whose names, README, notebook, code and output all carry payloads aimed at `port`.
fn hostile_zip(port: u16) -> Vec<u8> {
    let png_lie = "PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+"; // "<svg onload=alert(1)>"
    let notebook = serde_json::json!({
        "metadata": {"authors": [{"name": CANDIDATE}], "kernelspec": {"name": "python3"}},
        "nbformat": 4, "nbformat_minor": 5,
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": [format!("# Analysis\n<img src=http://127.0.0.1:{port}/nb>")]},
            {"cell_type": "code", "metadata": {}, "execution_count": 1, "source": "print(2)", "outputs": [
                {"output_type": "stream", "name": "stdout", "text": ["2\n"]},
                {"output_type": "display_data", "metadata": {}, "data": {
                    "text/html": format!("<script>fetch('http://127.0.0.1:{port}/nbhtml')</script>"),
                    "image/png": png_lie,
                }},
            ]},
        ]
    })
    .to_string();
    let files: Vec<(String, String)> = vec![
        (
            ".git/config".into(),
            format!("[user]\n\tname = {CANDIDATE}\n\temail = {EMAIL}\n"),
        ),
        ("main.txt".into(), format!("<img src=http://127.0.0.1:{port}/stdout>")),
        (
            "README.md".into(),
            format!(
                "# My approach\n\n<img src=\"http://127.0.0.1:{port}/readme\">\n\n![chart](http://127.0.0.1:{port}/md)\n\n<script>fetch('http://127.0.0.1:{port}/s')</script>\n"
            ),
        ),
        (
            "main.py".into(),
            format!("x = \"<script>fetch('http://127.0.0.1:{port}/code')</script>\"\n"),
        ),
        ("analysis.ipynb".into(), notebook),
        // No '/' may be in a name: the URL is built from character codes.
        (
            format!(
                "a<img src=x onerror=fetch(String.fromCharCode({}))>.py",
                format!("http://127.0.0.1:{port}/name")
                    .bytes()
                    .map(|b| b.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            "y = 2\n".into(),
        ),
    ];
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(n, c)| (n.as_str(), c.as_str())).collect();
    common::server::zip_of(&borrowed)
}

async fn press(browser: &Browser, key: Key) {
    let actions = KeyActions::new("keyboard".to_string())
        .then(KeyAction::Down { value: key.into() })
        .then(KeyAction::Up { value: key.into() });
    browser.client.perform_actions(actions).await.unwrap();
}

async fn focused(browser: &Browser) -> String {
    let value = browser
        .client
        .execute(
            "const e = document.activeElement; return e ? (e.name || e.id || e.tagName) + '|' + (e.value || '') : '';",
            vec![],
        )
        .await
        .unwrap();
    value.as_str().unwrap_or("").to_string()
}

/// Presses Tab until the focused control's name is `name`; fails if it is never reached.
async fn tab_to(browser: &Browser, name: &str) {
    for _ in 0..80 {
        press(browser, Key::Tab).await;
        if focused(browser).await.split('|').next() == Some(name) {
            return;
        }
    }
    panic!("{name} is not reachable with Tab");
}

/// Waits until the browser is on `path` (a click or a key starts a navigation and returns).
async fn wait_path(browser: &Browser, path: &str) {
    for _ in 0..200 {
        if browser.client.current_url().await.unwrap().path() == path {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the browser did not reach {path}: {}", source(browser).await);
}

/// Waits until the page holds `text`.
async fn wait_text(browser: &Browser, text: &str) -> String {
    for _ in 0..200 {
        let page = source(browser).await;
        if page.contains(text) {
            return page;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the page never showed {text:?}: {}", source(browser).await);
}

/// Clicks the element `at` finds (a navigation it starts goes on after this returns).
async fn click(browser: &Browser, at: Locator<'_>) {
    browser.client.find(at).await.unwrap().click().await.unwrap();
}

async fn source(browser: &Browser) -> String {
    browser.client.source().await.unwrap()
}

async fn log_in(browser: &Browser, server: &Server, token: &str) {
    browser.client.goto(&server.url("/review/login")).await.unwrap();
    let field = browser.client.find(Locator::Id("token")).await.unwrap();
    field.send_keys(token).await.unwrap();
    click(browser, Locator::Css("form button[type=submit]")).await;
    wait_path(browser, "/review").await;
}

async fn log_out(browser: &Browser) {
    click(browser, Locator::Css("header form button")).await;
    wait_path(browser, "/review/login").await;
}

/// Every scoring control has a label with text, and none is out of the tab order.
async fn controls_are_labelled(browser: &Browser) {
    let unlabelled = browser
        .client
        .execute(
            "return [...document.querySelectorAll('main form input:not([type=hidden]), main form textarea, main form button')]
                .filter(c => c.tagName === 'BUTTON' ? !c.textContent.trim()
                    : !(c.labels && c.labels.length && c.labels[0].textContent.trim()) || c.tabIndex < 0)
                .map(c => c.id || c.name);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(unlabelled, serde_json::json!([]), "controls without a label");
}

/// Opens the submission from the round page; checks what a blind reviewer may see.
async fn open_submission_blind(browser: &Browser, server: &Server, id: &str) {
    browser.client.goto(&server.url("/review/assignments/t")).await.unwrap();
    let round = source(browser).await;
    assert!(round.contains("1 of 1 submission(s) shown"), "{round}");
    assert!(!round.contains("Jane"), "the round page names the candidate: {round}");
    click(browser, Locator::Css(&format!("a[href='/review/submissions/{id}']"))).await;
    wait_path(browser, &format!("/review/submissions/{id}")).await;
    let page = source(browser).await;
    for secret in ["Jane", "jane.payload", "work.zip"] {
        assert!(!page.contains(secret), "the blind page shows {secret:?}: {page}");
    }
    assert!(page.contains("Candidate "), "a pseudonym is shown");
    assert!(
        page.contains("Look for: Clear names and small functions"),
        "the criterion's guidance"
    );
    assert!(page.contains("<h1>My approach</h1>"), "the README is rendered");
}

/// Opens each of the candidate's files in turn; none may name them while blind.
async fn open_every_file(browser: &Browser, server: &Server, id: &str, blind: bool) {
    let links = browser.client.find_all(Locator::Css("ul.tree a")).await.unwrap();
    let mut hrefs = Vec::new();
    for link in links {
        hrefs.push(link.attr("href").await.unwrap().unwrap());
    }
    assert_eq!(hrefs.len(), 5, "{hrefs:?}");
    for href in &hrefs {
        browser.client.goto(&server.url(href)).await.unwrap();
        let page = source(browser).await;
        assert!(
            ["<pre class=\"code", "class=\"notebook\"", "class=\"markdown\""]
                .iter()
                .any(|shown| page.contains(shown)),
            "{href}: {page}"
        );
        if blind {
            assert!(!page.contains("Jane"), "{href} names the candidate");
        }
        if href.contains("main.py") {
            assert!(
                page.contains("Changes from the starter"),
                "the diff against starter/main.py"
            );
        }
        if href.contains("analysis.ipynb") {
            assert!(page.contains("<h1>Analysis</h1>"), "notebook cells are rendered");
        }
    }
    browser
        .client
        .goto(&server.url(&format!("/review/submissions/{id}/report.html")))
        .await
        .unwrap();
    let report = source(browser).await;
    assert!(report.contains("Candidate "), "the report frame shows the pseudonym");
    assert!(!report.contains("work.zip") && !report.contains("Jane"), "{report}");
    browser
        .client
        .goto(&server.url(&format!("/review/submissions/{id}")))
        .await
        .unwrap();
}

#[test]
fn two_reviewers_score_blind_in_the_browser_and_the_merge_matches_the_cli() {
    require_engine();
    sandbox_image();
    let (port, fetched) = listener();
    let assignment = rubric_assignment();
    let data = tempfile::tempdir().unwrap();
    let admin = token(data.path(), "admin");
    let ann = token_named(data.path(), "review", "ann");
    let bob = token_named(data.path(), "review", "bob");
    let server = Server::start(data.path(), &[assignment.path()], &[]);
    let form = reqwest::blocking::multipart::Form::new()
        .text("assignment", "t")
        .text("candidate", CANDIDATE)
        .text("email", EMAIL)
        .part(
            "file",
            reqwest::blocking::multipart::Part::bytes(hostile_zip(port)).file_name("work.zip"),
        );
    let answer: serde_json::Value = client()
        .post(server.url("/api/v1/submissions"))
        .bearer_auth(&admin)
        .multipart(form)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let id = answer["id"].as_str().unwrap().to_string();
    let done = wait_final(&server, &admin, &id, Duration::from_secs(120));
    assert_eq!(done["status"], "graded", "{done}");

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let overall_alpha = runtime.block_on(async {
        let browser = Browser::start().await;
        // A wrong token is refused on the page.
        browser.client.goto(&server.url("/review/login")).await.unwrap();
        let field = browser.client.find(Locator::Id("token")).await.unwrap();
        field.send_keys("assay_wrong").await.unwrap();
        click(&browser, Locator::Css("form button[type=submit]")).await;
        wait_text(&browser, "not a live review or admin token").await;

        // Ann reviews with the keyboard alone.
        log_in(&browser, &server, &ann).await;
        let queue = source(&browser).await;
        assert!(queue.contains("1 of 1 submission(s) given to you"), "{queue}");
        open_submission_blind(&browser, &server, &id).await;
        open_every_file(&browser, &server, &id, true).await;
        controls_are_labelled(&browser).await;
        for (criterion, steps, comment) in [(0, 2, "Small clear functions"), (1, 3, "A README that explains <why>")] {
            tab_to(&browser, &format!("level-{criterion}")).await;
            press(&browser, Key::Space).await;
            for _ in 0..steps {
                press(&browser, Key::Right).await;
            }
            tab_to(&browser, &format!("comment-{criterion}")).await;
            browser
                .client
                .active_element()
                .await
                .unwrap()
                .send_keys(comment)
                .await
                .unwrap();
        }
        // A draft first: saved, still blind.
        tab_to(&browser, "action").await;
        assert!(focused(&browser).await.ends_with("|draft"));
        press(&browser, Key::Enter).await;
        // The page comes back with the draft in it.
        let draft = wait_text(&browser, "Small clear functions</textarea>").await;
        assert!(!draft.contains("Jane"), "a draft does not reveal the candidate");
        assert!(draft.contains("Small clear functions"), "the draft keeps the comment");
        tab_to(&browser, "action").await;
        press(&browser, Key::Tab).await;
        assert!(
            focused(&browser).await.ends_with("|submit"),
            "{}",
            focused(&browser).await
        );
        press(&browser, Key::Enter).await;
        let after = wait_text(&browser, "Your review is submitted").await;
        assert!(
            after.contains(CANDIDATE) && after.contains(EMAIL),
            "identity shows once submitted"
        );
        log_out(&browser).await;

        // Bob, by mouse: he sees neither the candidate nor Ann's scores until he submits.
        log_in(&browser, &server, &bob).await;
        open_submission_blind(&browser, &server, &id).await;
        let page = source(&browser).await;
        assert!(
            !page.contains("Small clear functions"),
            "Bob sees Ann's comment before submitting"
        );
        assert!(page.contains("Other reviewers' scores show once you submit your own"));
        for (radio, comment_id, comment) in [
            ("c0-l1", "comment-0", "Some long functions"),
            ("c1-l0", "comment-1", "Hard to follow"),
        ] {
            click(&browser, Locator::Css(&format!("label[for='{radio}']"))).await;
            browser
                .client
                .find(Locator::Id(comment_id))
                .await
                .unwrap()
                .send_keys(comment)
                .await
                .unwrap();
        }
        click(&browser, Locator::Css("button[value=submit]")).await;
        let after = wait_text(&browser, "Your review is submitted").await;
        assert!(after.contains(CANDIDATE), "identity shows once submitted");
        assert!(
            after.contains("Small clear functions"),
            "Ann's review shows once Bob submitted"
        );
        // A submitted review is final.
        let posted = browser
            .client
            .execute(
                "return document.querySelectorAll('button[value=submit]').length;",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(posted, serde_json::json!(0), "no submit button after submitting");
        log_out(&browser).await;

        // The admin's agreement page flags the criterion two levels apart or more.
        log_in(&browser, &server, &admin).await;
        browser
            .client
            .goto(&server.url("/review/assignments/t/agreement"))
            .await
            .unwrap();
        let agreement = source(&browser).await;
        assert!(agreement.contains("Communication"), "{agreement}");
        assert!(
            agreement.contains(&format!("{CANDIDATE}</a>: Communication")),
            "{agreement}"
        );
        let overall = browser
            .client
            .find(Locator::Id("overall-alpha"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        browser.close().await;
        overall
    });

    // The browser's merge equals `assay review merge` of the same sheets.
    let served: Report = serde_json::from_value(get_json(
        &server,
        &admin,
        &format!("/api/v1/submissions/{id}/report.json"),
    ))
    .unwrap();
    let review = served
        .review
        .clone()
        .expect("the browser's review is merged into report.json");
    assert_eq!(review.reviewers, ["ann", "bob"]);
    let copy = tempfile::tempdir().unwrap();
    let mut bare = served.clone();
    bare.review = None;
    std::fs::write(copy.path().join("report.json"), serde_json::to_string(&bare).unwrap()).unwrap();
    let sheet = |reviewer: &str, code: &str, code_comment: &str, talk: &str, talk_comment: &str| {
        let path = copy.path().join(format!("{reviewer}.toml"));
        std::fs::write(
            &path,
            format!(
                "[review]\nassignment = \"t\"\nsubmission = \"{}\"\nreviewer = \"{reviewer}\"\n\n\
                 [[criterion]]\nname = \"Code quality\"\nweight = 10.0\nlevels = [\"missing\", \"adequate\", \"strong\"]\nlevel = \"{code}\"\ncomment = \"{code_comment}\"\n\n\
                 [[criterion]]\nname = \"Communication\"\nweight = 5.0\nlevels = [\"poor\", \"fair\", \"good\", \"great\"]\nlevel = \"{talk}\"\ncomment = \"{talk_comment}\"\n",
                served.submission.sha256
            ),
        )
        .unwrap();
        path
    };
    let a = sheet(
        "ann",
        "strong",
        "Small clear functions",
        "great",
        "A README that explains <why>",
    );
    let b = sheet("bob", "adequate", "Some long functions", "poor", "Hard to follow");
    let merged = assay(&[
        "review",
        "merge",
        copy.path().join("report.json").to_str().unwrap(),
        a.to_str().unwrap(),
        b.to_str().unwrap(),
    ]);
    assert!(merged.status.success(), "{}", text(&merged));
    let cli: Report = serde_json::from_str(&std::fs::read_to_string(copy.path().join("report.json")).unwrap()).unwrap();
    assert_eq!(
        Some(review.clone()),
        cli.review,
        "the browser's merge differs from the CLI's"
    );
    assert!(
        review
            .criteria
            .iter()
            .any(|c| c.criterion == "Communication" && c.disagreement)
    );
    // One submission: the round's alpha is the report's.
    let expected = review.alpha.map(|a| format!("{a:.3}")).unwrap_or_else(|| "n/a".into());
    assert_eq!(overall_alpha, expected);

    // The round as CSV, and the status API, agree.
    let status = get_json(&server, &admin, &format!("/api/v1/submissions/{id}"));
    assert_eq!(status["status"], "graded");
    let fetched = fetched.load(Ordering::SeqCst);
    assert_eq!(fetched, 0, "candidate payloads made {fetched} request(s)");
}

/// A webhook receiver that answers 200 and keeps every body.
fn receiver() -> (String, Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let bodies = Arc::new(std::sync::Mutex::new(Vec::new()));
    let kept = bodies.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            let mut length = 0;
            reader.read_line(&mut line).unwrap();
            loop {
                line.clear();
                reader.read_line(&mut line).unwrap();
                let Some((name, value)) = line.trim_end().split_once(": ") else {
                    break;
                };
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.parse().unwrap();
                }
            }
            let mut body = vec![0u8; length];
            reader.read_exact(&mut body).unwrap();
            kept.lock().unwrap().push(String::from_utf8(body).unwrap());
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            );
        }
    });
    (url, bodies)
}

fn post_review(server: &Server, session: &str, id: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let answer = no_redirects()
        .post(server.url(&format!("/review/submissions/{id}")))
        .header("cookie", format!("assay_session={session}"))
        .form(fields)
        .send()
        .unwrap();
    (answer.status().as_u16(), answer.text().unwrap())
}

#[test]
fn forms_need_their_tokens_bad_input_is_refused_and_a_completed_review_is_announced() {
    require_engine();
    sandbox_image();
    let assignment = rubric_assignment();
    let data = tempfile::tempdir().unwrap();
    let admin = token(data.path(), "admin");
    let reader = token(data.path(), "read");
    let ann = token_named(data.path(), "review", "ann");
    let bob = token_named(data.path(), "review", "bob");
    let (hook, bodies) = receiver();
    let added = assay(&[
        "webhook",
        "add",
        &hook,
        "--events",
        "review.completed",
        "--secret",
        "s3cret",
        "--data",
        data.path().to_str().unwrap(),
    ]);
    assert!(added.status.success(), "{}", text(&added));
    let server = Server::start(data.path(), &[assignment.path()], &[]);
    let (status, body) = common::server::upload(
        &server,
        &admin,
        "t",
        "=HYPERLINK(\"http://x\")",
        common::server::zip_of(&[("main.txt", "formula")]),
    );
    assert_eq!(status, 202, "{body}");
    let id = body["id"].as_str().unwrap().to_string();
    assert_eq!(
        wait_final(&server, &admin, &id, Duration::from_secs(120))["status"],
        "graded"
    );
    let http = no_redirects();

    // No session: every page sends to the login page.
    let page = http.get(server.url("/review/assignments/t")).send().unwrap();
    assert_eq!(page.status().as_u16(), 303);
    assert_eq!(page.headers()["location"], "/review/login");
    // The login page: strict policy, its own double-submit cookie.
    let login = http.get(server.url("/review/login")).send().unwrap();
    let policy = login.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(
        policy.contains("default-src 'none'") && policy.contains("frame-ancestors 'none'"),
        "{policy}"
    );
    let login_cookie = set_cookie(&login, "assay_login");
    assert!(login_cookie.contains("HttpOnly") && login_cookie.contains("SameSite=Strict"));
    let login_value = cookie_value(&login_cookie);
    // A login post without the cookie, or with another value, is refused.
    for cookie in ["", "assay_login=0000"] {
        let answer = http
            .post(server.url("/review/login"))
            .header("cookie", cookie)
            .form(&[("token", ann.as_str()), ("login_csrf", login_value.as_str())])
            .send()
            .unwrap();
        assert_eq!(answer.status().as_u16(), 403, "cookie {cookie:?}");
    }
    // A read token is not a reviewer's.
    let answer = http
        .post(server.url("/review/login"))
        .header("cookie", format!("assay_login={login_value}"))
        .form(&[("token", reader.as_str()), ("login_csrf", login_value.as_str())])
        .send()
        .unwrap();
    assert_eq!(answer.status().as_u16(), 401);

    let (ann_session, ann_csrf) = http_log_in(&server, &ann);
    let level = |c: &str| format!("level-{c}");
    let (l0, l1) = (level("0"), level("1"));
    // Without the CSRF token, or with a wrong one: refused, nothing saved.
    for csrf in [None, Some("f00d")] {
        let mut fields = vec![("action", "submit"), (l0.as_str(), "strong"), (l1.as_str(), "good")];
        if let Some(csrf) = csrf {
            fields.push(("csrf", csrf));
        }
        let (status, _) = post_review(&server, &ann_session, &id, &fields);
        assert_eq!(status, 403, "csrf {csrf:?}");
    }
    // Bad input: a clear sentence, nothing saved.
    let bad: [(&[(&str, &str)], &str); 3] = [
        (
            &[("action", "submit"), ("level-0", "strong")],
            "Communication: choose a level",
        ),
        (
            &[("action", "submit"), ("level-0", "superb"), ("level-1", "good")],
            "is not one of its levels",
        ),
        (&[("action", "publish")], "action: draft or submit"),
    ];
    for (fields, says) in bad {
        let mut fields = fields.to_vec();
        fields.push(("csrf", &ann_csrf));
        let (status, page) = post_review(&server, &ann_session, &id, &fields);
        assert_eq!(status, 400, "{fields:?}");
        assert!(page.contains(says), "{page}");
    }
    let malformed = http
        .post(server.url(&format!("/review/submissions/{id}")))
        .header("cookie", format!("assay_session={ann_session}"))
        .header("content-type", "application/json")
        .body("{\"action\": \"submit\"}")
        .send()
        .unwrap();
    assert!(malformed.status().is_client_error(), "{}", malformed.status());
    let unknown = http
        .get(server.url("/review/submissions/s_nothing"))
        .header("cookie", format!("assay_session={ann_session}"))
        .send()
        .unwrap();
    assert_eq!(unknown.status().as_u16(), 404);
    // Agreement is for admins only.
    let agreement = http
        .get(server.url("/review/assignments/t/agreement"))
        .header("cookie", format!("assay_session={ann_session}"))
        .send()
        .unwrap();
    assert_eq!(agreement.status().as_u16(), 403);
    assert!(bodies.lock().unwrap().is_empty(), "nothing is complete yet");

    // Both reviewers submit: one review.completed event.
    let (status, _) = post_review(
        &server,
        &ann_session,
        &id,
        &[
            ("csrf", &ann_csrf),
            ("action", "submit"),
            ("level-0", "strong"),
            ("level-1", "good"),
        ],
    );
    assert_eq!(status, 303);
    let (status, _) = post_review(
        &server,
        &ann_session,
        &id,
        &[
            ("csrf", &ann_csrf),
            ("action", "submit"),
            ("level-0", "missing"),
            ("level-1", "poor"),
        ],
    );
    assert_eq!(status, 409, "a submitted review is final");
    let (bob_session, bob_csrf) = http_log_in(&server, &bob);
    let (status, _) = post_review(
        &server,
        &bob_session,
        &id,
        &[
            ("csrf", &bob_csrf),
            ("action", "submit"),
            ("level-0", "strong"),
            ("level-1", "great"),
        ],
    );
    assert_eq!(status, 303);
    let started = std::time::Instant::now();
    while bodies.lock().unwrap().is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no review.completed delivery"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    let delivered = bodies.lock().unwrap().clone();
    assert_eq!(delivered.len(), 1, "{delivered:?}");
    let event: serde_json::Value = serde_json::from_str(&delivered[0]).unwrap();
    assert_eq!(event["event"], "review.completed", "{event}");
    assert_eq!(event["data"]["id"], id.as_str());
    assert_eq!(event["data"]["reviewers"], 2);
    // Ann: code strong (10 of 10), communication good (2 of 3 levels up: 5 * 2/3); Bob: 10 and 5.
    let expected = 10.0 + (5.0 * 2.0 / 3.0 + 5.0) / 2.0;
    let final_score = event["data"]["final_score"].as_f64().unwrap();
    assert!((final_score - expected).abs() < 1e-9, "{event}");

    // The admin's CSV names the candidate, safe from spreadsheet formulas.
    let (admin_session, _) = http_log_in(&server, &admin);
    let csv = http
        .get(server.url("/review/assignments/t/round.csv"))
        .header("cookie", format!("assay_session={admin_session}"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        csv.starts_with("id,candidate,status,verdict,score,reproducibility,review\n"),
        "{csv}"
    );
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
    assert!(csv.contains("reviewed by 2"), "{csv}");
    // Ann's CSV, like her pages, names the candidate only once she has submitted: she has.
    let ann_csv = http
        .get(server.url("/review/assignments/t/round.csv"))
        .header("cookie", format!("assay_session={ann_session}"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(ann_csv.contains("'=HYPERLINK"), "{ann_csv}");

    // A reviewer with a password instead of a token: argon2 keeps no trace of it.
    let password = "carol's long passphrase";
    let set = |stdin: &str| {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_assay"))
            .args([
                "password",
                "set",
                "--name",
                "carol",
                "--data",
                data.path().to_str().unwrap(),
            ])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(child.stdin.as_mut().unwrap(), stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let short = set("short\n");
    assert_eq!(short.status.code(), Some(2), "{}", text(&short));
    let made = set(&format!("{password}\n"));
    assert!(made.status.success(), "{}", text(&made));
    for file in ["assay.db", "assay.db-wal"] {
        let bytes = std::fs::read(data.path().join(file)).unwrap_or_default();
        assert!(
            !bytes.windows(password.len()).any(|w| w == password.as_bytes()),
            "{file} holds the password"
        );
    }
    let by_password = |given: &str| {
        let page = http.get(server.url("/review/login")).send().unwrap();
        let login = cookie_value(&set_cookie(&page, "assay_login"));
        http.post(server.url("/review/login"))
            .header("cookie", format!("assay_login={login}"))
            .form(&[("name", "carol"), ("password", given), ("login_csrf", &login)])
            .send()
            .unwrap()
    };
    assert_eq!(by_password("carol's long passphrasE").status().as_u16(), 401);
    std::thread::sleep(Duration::from_millis(1100));
    let answer = by_password(password);
    assert_eq!(answer.status().as_u16(), 303);
    let carol = cookie_value(&set_cookie(&answer, "assay_session"));
    let queue = http
        .get(server.url("/review"))
        .header("cookie", format!("assay_session={carol}"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(queue.contains("<span>carol</span>"), "{queue}");
    // Guessing fast is slowed down: past a burst of two a second, 429. The guesses go at once,
    // as a script would send them (each check takes a while: argon2 is slow on purpose).
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let guesses: Vec<_> = (0..6)
            .map(|_| scope.spawn(|| by_password("guess one two three").status().as_u16()))
            .collect();
        guesses.into_iter().map(|g| g.join().unwrap()).collect()
    });
    assert!(statuses.contains(&429), "{statuses:?}");

    // Behind TLS, session cookies are marked Secure.
    let other = tempfile::tempdir().unwrap();
    let secure = Server::start(
        other.path(),
        &[assignment.path()],
        &["--secure-cookies", "--workers", "0"],
    );
    let login = http.get(secure.url("/review/login")).send().unwrap();
    assert!(set_cookie(&login, "assay_login").contains("; Secure"));
}
