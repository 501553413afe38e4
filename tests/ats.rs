//! Applicant tracking systems against a real `assay serve`: a test plays Greenhouse or Ashby
//! from their published protocols (list, send or start, status, cancel), the candidate
//! uploads through the invite link, grading runs in real containers, and assay tells the ATS,
//! retrying when it fails. Hostile candidate fields are kept and shown escaped.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use base64::Engine;
use common::fake_ats::FakeAts;
use common::server::{Server, client, http_log_in, no_redirects, token, zip_of};
use common::*;
use serde_json::{Value, json};

/// One phase writing predictions, scored by accuracy on two hidden labels (10 points).
fn scored_assignment() -> tempfile::TempDir {
    assignment(
        "[[phase]]\nname = \"predict\"\nrun = \"sh run.sh\"\noutputs = [\"/out/p.csv\"]\n",
        "[[metric]]\nname = \"accuracy\"\nkind = \"accuracy\"\npredictions = \"predict:/out/p.csv\"\nlabels = \"hidden/labels.csv\"\nweight = 10\npass_at = 0.4\n\n[reproducibility]\nruns = 1\n",
    )
}

/// A candidate's work whose predictions are `rows`.
fn work(rows: &str) -> Vec<u8> {
    zip_of(&[("run.sh", &format!("printf 'id,label\\n{rows}' > /out/p.csv\n"))])
}

/// `assay ats add ARGS`: the key it prints last.
fn ats_add(data: &Path, args: &[&str]) -> String {
    let mut all = vec!["ats", "add"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--data", data.to_str().unwrap()]);
    let output = assay(&all);
    assert!(output.status.success(), "{}", text(&output));
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .last()
        .unwrap()
        .to_string()
}

/// What `assay ats SUBCOMMAND --name NAME` prints.
fn ats_show(data: &Path, subcommand: &str, name: &str) -> String {
    let output = assay(&["ats", subcommand, "--name", name, "--data", data.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The `/invite/TOKEN` of the one interview of `name` whose line holds `needle`.
fn invite_path(data: &Path, name: &str, needle: &str) -> String {
    let listing = ats_show(data, "interviews", name);
    let line = listing
        .lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no interview {needle} in {listing}"));
    format!("/invite/{}", line.rsplit("/invite/").next().unwrap())
}

fn upload_through(server: &Server, path: &str, archive: Vec<u8>) -> u16 {
    let form = reqwest::blocking::multipart::Form::new().part(
        "file",
        reqwest::blocking::multipart::Part::bytes(archive).file_name("work.zip"),
    );
    no_redirects()
        .post(server.url(path))
        .multipart(form)
        .send()
        .unwrap()
        .status()
        .as_u16()
}

fn basic(key: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{key}:"))
    )
}

/// Polls until `check` gives a value; panics after `limit`.
fn eventually<T>(limit: Duration, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(started.elapsed() < limit, "{what} after {limit:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn greenhouse_sends_a_test_hears_it_is_done_and_reads_the_result() {
    require_engine();
    sandbox_image();
    let assignment = scored_assignment();
    let data = tempfile::tempdir().unwrap();
    // Greenhouse's take-home test URL fails the first two PATCHes.
    let greenhouse = FakeAts::start(2);
    let hooks = FakeAts::start(0);
    let key = ats_add(
        data.path(),
        &[
            "greenhouse",
            "--name",
            "acme",
            "--test",
            "101=t",
            "--api-url",
            &greenhouse.url,
        ],
    );
    assert!(key.starts_with("greenhouse_"), "{key}");
    let hook = assay(&[
        "webhook",
        "add",
        &format!("{}/hook", hooks.url),
        "--events",
        "invite.created,grading.finished",
        "--data",
        data.path().to_str().unwrap(),
    ]);
    assert!(hook.status.success(), "{}", text(&hook));
    let server = Server::start(data.path(), &[assignment.path()], &["--webhook-retry", "300ms"]);
    let call = |method: reqwest::Method, path: &str, key: &str| {
        client()
            .request(method, server.url(&format!("/ats/greenhouse/{path}")))
            .basic_auth(key, Some(""))
    };
    let read = |response: reqwest::blocking::Response| {
        let status = response.status().as_u16();
        (status, response.json::<Value>().unwrap_or(Value::Null))
    };

    let (status, tests) = read(call(reqwest::Method::GET, "list_tests", &key).send().unwrap());
    assert_eq!(status, 200);
    assert_eq!(tests, json!([{"partner_test_id": "101", "partner_test_name": "Test"}]));

    // Wrong credentials: a wrong key, none, an API token, this key on Ashby's endpoints.
    assert_eq!(
        call(reqwest::Method::GET, "list_tests", "greenhouse_wrong")
            .send()
            .unwrap()
            .status()
            .as_u16(),
        401
    );
    let none = client().get(server.url("/ats/greenhouse/list_tests")).send().unwrap();
    assert_eq!(none.status().as_u16(), 401);
    assert!(
        none.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    let admin = token(data.path(), "admin");
    let bearer = client()
        .get(server.url("/ats/greenhouse/list_tests"))
        .bearer_auth(&admin)
        .send()
        .unwrap();
    assert_eq!(bearer.status().as_u16(), 401);
    let ashby = client()
        .post(server.url("/ats/ashby/assessment.list"))
        .basic_auth(&key, Some(""))
        .json(&json!({}))
        .send()
        .unwrap();
    assert_eq!(ashby.status().as_u16(), 401);

    // send_test with hostile candidate fields: markup, a bidi override, a 10 KB name.
    let first_name = format!("<b>Ada</b>\u{202e}{}", "é".repeat(5000));
    let callback = format!("{}/integrations/testing_partners/take_home_tests/12345", greenhouse.url);
    let request = json!({
        "partner_test_id": "101",
        "candidate": {
            "first_name": first_name,
            "last_name": "<script>alert(1)</script>",
            "email": "ada@example.org",
            "resume_url": null,
            "phone_number": "123",
            "greenhouse_profile_url": "https://app.greenhouse.io/people/17681532?application_id=26234709",
        },
        "url": callback,
    });
    let (status, sent) = read(
        call(reqwest::Method::POST, "send_test", &key)
            .json(&request)
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200, "{sent}");
    let interview = sent["partner_interview_id"].as_str().unwrap().to_string();
    let (status, again) = read(
        call(reqwest::Method::POST, "send_test", &key)
            .json(&request)
            .send()
            .unwrap(),
    );
    assert_eq!(
        (status, again["partner_interview_id"].as_str()),
        (200, Some(interview.as_str())),
        "a replay gives the same interview"
    );

    // Bad requests: each refused with what is wrong, nothing made.
    let mut elsewhere = request.clone();
    elsewhere["url"] = json!("https://169.254.169.254/latest/meta-data");
    let mut unknown = request.clone();
    unknown["partner_test_id"] = json!(999);
    let mut nameless = request.clone();
    nameless["candidate"]["email"] = Value::Null;
    for (bad, says) in [
        (elsewhere, "url: callbacks go to"),
        (unknown, "partner_test_id: no test \"999\""),
        (nameless, "candidate.email"),
    ] {
        let (status, why) = read(
            call(reqwest::Method::POST, "send_test", &key)
                .json(&bad)
                .send()
                .unwrap(),
        );
        assert_eq!(status, 400, "{why}");
        assert!(why["error"].as_str().unwrap().contains(says), "{why}");
    }
    let broken = call(reqwest::Method::POST, "send_test", &key)
        .body("{\"partner_test_id\":")
        .send()
        .unwrap();
    assert_eq!(broken.status().as_u16(), 400);
    let huge = call(reqwest::Method::POST, "send_test", &key)
        .body(vec![b' '; 100_000])
        .send()
        .unwrap();
    assert_eq!(huge.status().as_u16(), 413);

    let status_of = || {
        read(
            call(
                reqwest::Method::GET,
                &format!("test_status?partner_interview_id={interview}"),
                &key,
            )
            .send()
            .unwrap(),
        )
    };
    let (status, body) = status_of();
    assert_eq!(
        (status, body["partner_status"].as_str()),
        (200, Some("invited")),
        "{body}"
    );
    assert!(body["partner_profile_url"].is_null(), "{body}");
    let (status, _) = read(
        call(reqwest::Method::GET, "test_status?partner_interview_id=gh_0", &key)
            .send()
            .unwrap(),
    );
    assert_eq!(status, 404);
    let (status, _) = read(call(reqwest::Method::GET, "test_status", &key).send().unwrap());
    assert_eq!(status, 400);

    // The link reaches the recruiter: in the invite.created webhook and `assay ats interviews`.
    let created = eventually(Duration::from_secs(30), "no invite.created webhook", || {
        hooks
            .received()
            .into_iter()
            .map(|r| r.json())
            .find(|b| b["event"] == "invite.created")
    });
    let link = created["data"]["url"].as_str().unwrap().to_string();
    assert!(link.starts_with(&server.url("/invite/")), "{created}");
    assert_eq!(created["data"]["ats"]["interview_id"], interview.as_str());
    let shown_name = created["data"]["candidate"].as_str().unwrap();
    assert!(
        !shown_name.contains('\u{202e}') && shown_name.chars().count() <= 201,
        "{shown_name}"
    );
    assert_eq!(
        invite_path(data.path(), "acme", &interview),
        link.strip_prefix(&server.url).unwrap()
    );

    // The candidate opens the link (the name shows escaped), then uploads.
    let page = no_redirects().get(&link).send().unwrap().text().unwrap();
    assert!(
        page.contains("&lt;b&gt;Ada&lt;&#x2f;b&gt;") || page.contains("&lt;b&gt;Ada&lt;/b&gt;"),
        "{}",
        &page[..2000.min(page.len())]
    );
    assert!(!page.contains("<b>Ada") && !page.contains("<script>alert") && !page.contains('\u{202e}'));
    assert_eq!(status_of().1["partner_status"], "started");
    assert_eq!(
        upload_through(&server, link.strip_prefix(&server.url).unwrap(), work("a,1\\nb,2\\n")),
        303
    );

    // Grading ends; the PATCH fails twice, then is delivered: once, logged three times.
    let patches = greenhouse.wait_for(3, Duration::from_secs(180));
    std::thread::sleep(Duration::from_secs(2));
    let patches_after = greenhouse.received();
    assert_eq!(patches_after.len(), 3, "delivered once: {patches_after:#?}");
    for patch in &patches {
        assert_eq!(patch.method, "PATCH");
        assert_eq!(patch.path, "/integrations/testing_partners/take_home_tests/12345");
        assert_eq!(patch.authorization, basic(&key));
        assert_eq!(patch.body, "");
    }
    let audit = ats_show(data.path(), "audit", "acme");
    let attempts: Vec<&str> = audit
        .lines()
        .filter(|l| l.contains(" out ") && l.contains("completed"))
        .collect();
    assert_eq!(attempts.len(), 3, "{audit}");
    assert!(attempts[0].contains("500") && attempts[1].contains("500"), "{audit}");
    assert!(
        attempts[2].contains("200") && attempts[2].contains("ok: told graded"),
        "{audit}"
    );
    assert!(audit.contains(" in  send_test"), "{audit}");

    // Greenhouse fetches the status: complete, the score, flat metadata, a working profile URL.
    let (status, done) = status_of();
    assert_eq!(
        (status, done["partner_status"].as_str()),
        (200, Some("complete")),
        "{done}"
    );
    assert_eq!(done["partner_score"], 100.0);
    let metadata = done["metadata"].as_object().unwrap();
    assert!(metadata.values().all(|v| !v.is_object() && !v.is_array()), "{done}");
    assert_eq!(metadata["Verdict"], "passed");
    assert_eq!(metadata["Metric: accuracy"], 1.0);
    assert_eq!(metadata["Score"], "10 / 10");
    let profile = done["partner_profile_url"].as_str().unwrap();
    assert!(profile.starts_with(&server.url("/review/submissions/")), "{profile}");
    let anonymous = no_redirects().get(profile).send().unwrap();
    assert_eq!(anonymous.status().as_u16(), 303, "reviewers log in first");
    let (session, _) = http_log_in(&server, &admin);
    let shown = no_redirects()
        .get(profile)
        .header("cookie", format!("assay_session={session}"))
        .send()
        .unwrap();
    assert_eq!(shown.status().as_u16(), 200);
    let shown = shown.text().unwrap();
    assert!(shown.contains("&lt;b&gt;Ada") && !shown.contains("<b>Ada") && !shown.contains('\u{202e}'));
    assert!(!shown.contains("<script>alert"));

    // The generic webhook carries what any other ATS needs.
    let finished = eventually(Duration::from_secs(30), "no grading.finished webhook", || {
        hooks
            .received()
            .into_iter()
            .map(|r| r.json())
            .find(|b| b["event"] == "grading.finished")
    });
    let data_sent = &finished["data"];
    assert_eq!(
        data_sent["external_id"],
        "https://app.greenhouse.io/people/17681532?application_id=26234709"
    );
    assert_eq!(
        (data_sent["score"].as_f64(), data_sent["max_score"].as_f64()),
        (Some(10.0), Some(10.0))
    );
    assert_eq!(data_sent["review_url"], profile);
    assert!(
        data_sent["report_url"]
            .as_str()
            .unwrap()
            .starts_with(&server.url("/api/v1/submissions/"))
    );
    assert_eq!(data_sent["metrics"][0]["name"], "accuracy");
    assert!(data_sent["reproducibility"].is_string(), "{finished}");

    // An invalid submission is complete, with its reason and no score.
    let mut second = request.clone();
    second["candidate"]["email"] = json!("bo@example.org");
    let (_, sent) = read(
        call(reqwest::Method::POST, "send_test", &key)
            .json(&second)
            .send()
            .unwrap(),
    );
    let invalid_id = sent["partner_interview_id"].as_str().unwrap().to_string();
    assert_ne!(invalid_id, interview, "another candidate, another interview");
    let invalid_link = invite_path(data.path(), "acme", &invalid_id);
    assert_eq!(upload_through(&server, &invalid_link, b"not an archive".to_vec()), 303);
    greenhouse.wait_for(4, Duration::from_secs(120));
    let (_, invalid) = read(
        call(
            reqwest::Method::GET,
            &format!("test_status?partner_interview_id={invalid_id}"),
            &key,
        )
        .send()
        .unwrap(),
    );
    assert_eq!(invalid["partner_status"], "complete", "{invalid}");
    assert!(invalid["partner_score"].is_null(), "{invalid}");
    assert_eq!(invalid["metadata"]["Verdict"], "invalid_submission");
    assert!(!invalid["metadata"]["Reason"].as_str().unwrap().is_empty(), "{invalid}");

    // A link left unused past its lifetime: Greenhouse hears, and reads "expired".
    let brief = ats_add(
        data.path(),
        &[
            "greenhouse",
            "--name",
            "brief",
            "--link-lifetime",
            "2s",
            "--api-url",
            &greenhouse.url,
        ],
    );
    let mut third = request.clone();
    third["partner_test_id"] = json!("t");
    third["url"] = json!(format!("{}/take_home_tests/777", greenhouse.url));
    let (status, sent) = read(
        call(reqwest::Method::POST, "send_test", &brief)
            .json(&third)
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200, "{sent}");
    let brief_id = sent["partner_interview_id"].as_str().unwrap().to_string();
    let told = greenhouse.wait_for(5, Duration::from_secs(60));
    assert_eq!(
        (told[4].method.as_str(), told[4].path.as_str()),
        ("PATCH", "/take_home_tests/777")
    );
    assert_eq!(told[4].authorization, basic(&brief));
    let (_, expired) = read(
        call(
            reqwest::Method::GET,
            &format!("test_status?partner_interview_id={brief_id}"),
            &brief,
        )
        .send()
        .unwrap(),
    );
    assert_eq!(expired["partner_status"], "expired", "{expired}");
    let (status, _) = read(
        call(
            reqwest::Method::GET,
            &format!("test_status?partner_interview_id={brief_id}"),
            &key,
        )
        .send()
        .unwrap(),
    );
    assert_eq!(status, 404, "one integration does not see another's interviews");

    // Greenhouse reports one of our answers malformed: kept in the audit, answered 200.
    let report = json!({
        "api_call": "test_status",
        "errors": ["partner_status is 'complete' but partner_profile url is missing\u{1b}[2J"],
        "partner_test_id": 101,
        "partner_interview_id": interview,
        "candidate_email": "ada@example.org",
    });
    let (status, answer) = read(
        call(reqwest::Method::POST, "response_error", &key)
            .json(&report)
            .send()
            .unwrap(),
    );
    assert_eq!((status, answer), (200, json!({"status": 200})));
    let audit = ats_show(data.path(), "audit", "acme");
    assert!(
        audit.contains("Greenhouse found our \"test_status\" answer malformed"),
        "{audit}"
    );
    assert!(!audit.contains('\u{1b}'), "{audit}");
}

#[test]
fn ashby_starts_hears_each_step_cancels_and_expires() {
    require_engine();
    sandbox_image();
    let assignment = scored_assignment();
    let data = tempfile::tempdir().unwrap();
    let ashby = FakeAts::start(0);
    let key_file = data.path().join("ashby.key");
    std::fs::write(&key_file, "ashby-customer-key\n").unwrap();
    let key_file = key_file.to_str().unwrap();
    let key = ats_add(
        data.path(),
        &[
            "ashby",
            "--name",
            "beta",
            "--test",
            "py=t",
            "--api-url",
            &ashby.url,
            "--ashby-api-key-file",
            key_file,
        ],
    );
    let short = ats_add(
        data.path(),
        &[
            "ashby",
            "--name",
            "short",
            "--link-lifetime",
            "3s",
            "--api-url",
            &ashby.url,
            "--ashby-api-key-file",
            key_file,
        ],
    );
    let stored = std::fs::read(data.path().join("assay.db")).unwrap_or_default();
    assert!(
        !String::from_utf8_lossy(&stored).contains("ashby-customer-key"),
        "the Ashby key is sealed at rest"
    );
    let server = Server::start(data.path(), &[assignment.path()], &["--webhook-retry", "300ms"]);
    let call = |path: &str, key: &str, body: &Value| {
        let response = client()
            .post(server.url(&format!("/ats/ashby/{path}")))
            .basic_auth(key, Some(""))
            .json(body)
            .send()
            .unwrap();
        (
            response.status().as_u16(),
            response.json::<Value>().unwrap_or(Value::Null),
        )
    };
    let (status, list) = call("assessment.list", &key, &json!({}));
    assert_eq!(status, 200);
    assert_eq!(list["success"], true);
    assert_eq!(list["results"][0]["assessment_type_id"], "py");
    assert_eq!(list["results"][0]["name"], "Test");
    assert_eq!(call("assessment.list", "ashby_wrong", &json!({})).0, 401);

    let start_body = |candidate: &str, type_id: &str| {
        json!({
            "assessment_type_id": type_id,
            "candidate": {
                "ashby_id": candidate,
                "first_name": "Lin",
                "last_name": candidate,
                "email": format!("{candidate}@example.org"),
                "ashby_profile_url": format!("https://app.ashbyhq.com/candidates/{candidate}"),
            },
            "application": {"ashby_id": format!("app-{candidate}"), "status": "Active"},
            "job": {"ashby_id": "job-1", "name": "ML engineer", "ashby_job_url": "https://app.ashbyhq.com/jobs/1"},
        })
    };
    let (status, started) = call("assessment.start", &key, &start_body("c1", "py"));
    assert_eq!(status, 200, "{started}");
    let id = started["results"]["assessment_id"].as_str().unwrap().to_string();
    assert_eq!(
        started["results"]["update_request"]["assessment_status"]["value"],
        "Invited"
    );
    let (_, replay) = call("assessment.start", &key, &start_body("c1", "py"));
    assert_eq!(
        replay["results"]["assessment_id"],
        id.as_str(),
        "a replay gives the same assessment"
    );
    let (status, refused) = call("assessment.start", &key, &start_body("c1", "nope"));
    assert_eq!(status, 422);
    assert!(
        refused["message"].as_str().unwrap().contains("assessment_type_id"),
        "{refused}"
    );

    // Each step is told to Ashby: started when the link is opened, then submitted and graded.
    let updates_for = |id: &str| -> Vec<Value> {
        ashby
            .received()
            .into_iter()
            .filter(|r| r.path == "/assessment.update")
            .map(|r| {
                assert_eq!(
                    r.authorization,
                    basic("ashby-customer-key"),
                    "assay calls Ashby with the customer's key"
                );
                r.json()
            })
            .filter(|b| b["assessment_id"] == id)
            .collect()
    };
    let link = invite_path(data.path(), "beta", &id);
    assert_eq!(
        no_redirects().get(server.url(&link)).send().unwrap().status().as_u16(),
        200
    );
    let started_update = eventually(Duration::from_secs(30), "no Started update", || {
        updates_for(&id).into_iter().next()
    });
    assert_eq!(started_update["assessment_status"]["value"], "Started");
    assert!(started_update["timestamp"].as_u64().unwrap() > 1_700_000_000_000);
    assert_eq!(upload_through(&server, &link, work("a,2\\nb,2\\n")), 303);
    let graded = eventually(Duration::from_secs(180), "no result update", || {
        updates_for(&id)
            .into_iter()
            .find(|u| u.get("assessment_result").is_some())
    });
    assert_eq!(graded["assessment_result"]["type"], "numeric_score");
    assert_eq!(graded["assessment_result"]["value"], 50.0);
    assert_eq!(graded["assessment_profile_url"]["type"], "url");
    assert!(
        graded["assessment_profile_url"]["value"]
            .as_str()
            .unwrap()
            .starts_with(&server.url("/review/submissions/"))
    );
    for item in graded["metadata"].as_array().unwrap() {
        for field in ["identifier", "label", "type"] {
            assert!(item[field].is_string(), "{item}");
        }
        assert!(item.get("value").is_some(), "{item}");
    }
    let steps: Vec<String> = updates_for(&id)
        .iter()
        .map(|u| u["assessment_status"]["value"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(steps.first().map(String::as_str), Some("Started"), "{steps:?}");
    assert_eq!(steps.last().map(String::as_str), Some("Completed"), "{steps:?}");
    assert!(
        steps.len() <= 3
            && steps
                .iter()
                .all(|s| ["Started", "Submitted", "Completed"].contains(&s.as_str())),
        "{steps:?}"
    );

    // Cancelled: the link is withdrawn and Ashby hears nothing more of it.
    let (_, other) = call("assessment.start", &key, &start_body("c2", "py"));
    let other_id = other["results"]["assessment_id"].as_str().unwrap().to_string();
    let other_link = invite_path(data.path(), "beta", &other_id);
    let (status, cancelled) = call("assessment.cancel", &key, &json!({"assessment_id": other_id}));
    assert_eq!(
        (status, cancelled["success"].as_bool()),
        (200, Some(true)),
        "{cancelled}"
    );
    assert_eq!(
        call("assessment.cancel", &key, &json!({"assessment_id": other_id})).0,
        200
    );
    assert_eq!(
        call("assessment.cancel", &key, &json!({"assessment_id": "ab_0"})).0,
        404
    );
    assert_eq!(
        call("assessment.cancel", &short, &json!({"assessment_id": other_id})).0,
        404,
        "another integration's"
    );
    assert_eq!(call("assessment.cancel", &key, &json!({})).0, 422);
    let withdrawn = no_redirects().get(server.url(&other_link)).send().unwrap();
    assert_eq!(withdrawn.status().as_u16(), 410);
    assert!(withdrawn.text().unwrap().contains("withdrawn"));
    assert_eq!(upload_through(&server, &other_link, work("a,1\\nb,2\\n")), 410);

    // A link left unused past its lifetime: Ashby is told it was cancelled as expired.
    let (status, short_started) = call("assessment.start", &short, &start_body("c3", "t"));
    assert_eq!(status, 200, "{short_started}");
    let short_id = short_started["results"]["assessment_id"].as_str().unwrap().to_string();
    let expired = eventually(Duration::from_secs(60), "no expiry update", || {
        updates_for(&short_id).into_iter().next()
    });
    assert!(
        expired["cancelled_reason"]["value"]
            .as_str()
            .unwrap()
            .starts_with("expired"),
        "{expired}"
    );
    assert!(
        updates_for(&other_id).is_empty(),
        "nothing is told of a cancelled assessment"
    );
    let audit = ats_show(data.path(), "audit", "beta");
    assert!(
        audit.contains("assessment.cancel") && audit.contains("assessment.update"),
        "{audit}"
    );
}

/// A small deterministic generator, so a failing mutation can be replayed.
struct Mutator(u64);

impl Mutator {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// `body` with one to three random edits: bytes flipped, cut, repeated, or a value
    /// replaced by something hostile.
    fn mutate(&mut self, body: &str) -> Vec<u8> {
        let hostile = [
            "null",
            "[]",
            "{}",
            "1e999",
            "-0",
            "\"\\u0000\"",
            "\"\\ud800\"",
            "123456789012345678901234567890",
            "\"\\u202e<script>\"",
            "true",
        ];
        let mut bytes = body.as_bytes().to_vec();
        for _ in 0..1 + self.below(3) {
            let at = self.below(bytes.len());
            match self.below(5) {
                0 => bytes[at] ^= 1 << self.below(8),
                1 => bytes.truncate(at),
                2 => {
                    let end = (at + self.below(40)).min(bytes.len());
                    let copy = bytes[at..end].to_vec();
                    bytes.splice(at..at, copy);
                }
                3 => {
                    let value = hostile[self.below(hostile.len())].as_bytes();
                    bytes.splice(at..at, value.iter().copied());
                }
                _ => {
                    let text = String::from_utf8_lossy(&bytes).into_owned();
                    let value = hostile[self.below(hostile.len())];
                    let replaced = text.replacen("\"101\"", value, 1).replacen("\"py\"", value, 1);
                    bytes = replaced.into_bytes();
                }
            }
        }
        bytes
    }
}

#[test]
fn thousands_of_mutated_ats_requests_get_clear_answers_and_lose_nothing() {
    require_engine();
    sandbox_image();
    let assignment = scored_assignment();
    let data = tempfile::tempdir().unwrap();
    let greenhouse = ats_add(data.path(), &["greenhouse", "--name", "gh", "--test", "101=t"]);
    let key_file = data.path().join("ashby.key");
    std::fs::write(&key_file, "k").unwrap();
    let ashby = ats_add(
        data.path(),
        &[
            "ashby",
            "--name",
            "ab",
            "--test",
            "py=t",
            "--ashby-api-key-file",
            key_file.to_str().unwrap(),
        ],
    );
    let server = Server::start(data.path(), &[assignment.path()], &[]);
    let send_test = json!({
        "partner_test_id": "101",
        "candidate": {"first_name": "A", "last_name": "B", "email": "a@example.org", "greenhouse_profile_url": "https://app.greenhouse.io/people/1"},
        "url": "https://app.greenhouse.io/integrations/testing_partners/take_home_tests/1",
    })
    .to_string();
    let start = json!({
        "assessment_type_id": "py",
        "candidate": {"ashby_id": "c", "first_name": "A", "last_name": "B", "email": "a@example.org", "ashby_profile_url": "https://app.ashbyhq.com/c"},
        "application": {"ashby_id": "app", "status": "Active"},
        "job": {"ashby_id": "j", "name": "J", "ashby_job_url": "https://app.ashbyhq.com/j"},
    })
    .to_string();
    let targets = [
        ("/ats/greenhouse/send_test", &greenhouse, &send_test),
        ("/ats/greenhouse/response_error", &greenhouse, &send_test),
        ("/ats/ashby/assessment.start", &ashby, &start),
        ("/ats/ashby/assessment.cancel", &ashby, &start),
    ];
    let mut mutator = Mutator(0x5eed_a55a_1234_9876);
    let mut answers = std::collections::BTreeMap::new();
    let mut made = std::collections::BTreeSet::new();
    for round in 0..1200 {
        let (path, key, body) = targets[round % targets.len()];
        let mutated = mutator.mutate(body);
        let response = client()
            .post(server.url(path))
            .basic_auth(key, Some(""))
            .header("content-type", "application/json")
            .body(mutated.clone())
            .send()
            .unwrap_or_else(|e| {
                panic!(
                    "round {round}: no answer ({e}) to {:?}",
                    String::from_utf8_lossy(&mutated)
                )
            });
        let status = response.status().as_u16();
        let answer: Value = response.json().unwrap_or_else(|e| {
            panic!(
                "round {round}: {status} is not JSON ({e}) for {:?}",
                String::from_utf8_lossy(&mutated)
            )
        });
        assert!(
            [200, 400, 404, 422].contains(&status),
            "round {round}: {status} {answer} for {:?}",
            String::from_utf8_lossy(&mutated)
        );
        if status != 200 {
            let why = answer["error"]
                .as_str()
                .or(answer["message"].as_str())
                .unwrap_or_default();
            assert!(!why.is_empty(), "round {round}: a refusal says why: {answer}");
        }
        for id in [&answer["partner_interview_id"], &answer["results"]["assessment_id"]] {
            if let Some(id) = id
                .as_str()
                .filter(|_| path.ends_with("send_test") || path.ends_with("start"))
            {
                made.insert(id.to_string());
            }
        }
        *answers.entry(status).or_insert(0) += 1;
    }
    eprintln!("answers by status: {answers:?}; interviews made: {}", made.len());
    assert!(answers.len() >= 3, "the mutations reach past the parser: {answers:?}");
    // Every interview an answer named is recorded, each with its link.
    let listed = ats_show(data.path(), "interviews", "gh") + &ats_show(data.path(), "interviews", "ab");
    for id in &made {
        assert!(listed.contains(id.as_str()), "{id} is not recorded: {listed}");
    }
    let health = client().get(server.url("/healthz")).send().unwrap();
    assert_eq!(health.status().as_u16(), 200);
}

#[test]
fn a_harness_failure_is_never_told_as_a_result() {
    require_engine();
    sandbox_image();
    let assignment = scored_assignment();
    let data = tempfile::tempdir().unwrap();
    let fake = FakeAts::start(0);
    let key_file = data.path().join("ashby.key");
    std::fs::write(&key_file, "k").unwrap();
    let ashby = ats_add(
        data.path(),
        &[
            "ashby",
            "--name",
            "ab",
            "--api-url",
            &fake.url,
            "--ashby-api-key-file",
            key_file.to_str().unwrap(),
        ],
    );
    let greenhouse = ats_add(data.path(), &["greenhouse", "--name", "gh", "--api-url", &fake.url]);
    let admin = token(data.path(), "admin");
    // No temp folder can be made: every grade fails in the harness, never in the candidate.
    let env = [("TMPDIR", "/nonexistent/assay-test")];
    let server = Server::start_with_env(data.path(), &[assignment.path()], &["--webhook-retry", "300ms"], &env);
    let started: Value = client()
        .post(server.url("/ats/ashby/assessment.start"))
        .basic_auth(&ashby, Some(""))
        .json(&json!({"assessment_type_id": "t", "candidate": {"ashby_id": "c", "email": "c@example.org"}}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let ashby_id = started["results"]["assessment_id"].as_str().unwrap().to_string();
    let sent: Value = client()
        .post(server.url("/ats/greenhouse/send_test"))
        .basic_auth(&greenhouse, Some(""))
        .json(&json!({"partner_test_id": "t", "candidate": {"email": "g@example.org"}, "url": format!("{}/tests/1", fake.url)}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let greenhouse_id = sent["partner_interview_id"].as_str().unwrap().to_string();
    for (name, id) in [("ab", &ashby_id), ("gh", &greenhouse_id)] {
        let link = invite_path(data.path(), name, id);
        assert_eq!(upload_through(&server, &link, work("a,1\\nb,2\\n")), 303);
    }
    let list = common::server::get_json(&server, &admin, "/api/v1/submissions");
    for item in list["items"].as_array().unwrap() {
        let done = common::server::wait_final(&server, &admin, item["id"].as_str().unwrap(), Duration::from_secs(90));
        assert_eq!(done["status"], "harness_error", "{done}");
    }
    std::thread::sleep(Duration::from_secs(3));
    let told = fake.received();
    assert!(
        told.iter().all(|r| r.method == "POST"),
        "Greenhouse gets no PATCH: {told:#?}"
    );
    let updates: Vec<Value> = told.iter().map(|r| r.json()).collect();
    assert!(
        updates
            .iter()
            .all(|u| u.get("assessment_result").is_none() && u.get("cancelled_reason").is_none()),
        "{updates:#?}"
    );
    assert_eq!(
        updates.last().unwrap()["assessment_status"]["value"],
        "Submitted",
        "{updates:#?}"
    );
    let status: Value = client()
        .get(server.url(&format!(
            "/ats/greenhouse/test_status?partner_interview_id={greenhouse_id}"
        )))
        .basic_auth(&greenhouse, Some(""))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(status["partner_status"], "submitted", "{status}");
    assert!(status["partner_score"].is_null(), "{status}");
}
