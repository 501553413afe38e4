//! The service's records on both databases it runs on: SQLite (embedded) and PostgreSQL (a
//! real throwaway cluster), through the same migrations and the same queries.

mod common;

use std::collections::BTreeSet;

use assay::service::db::{Database, Finished, Inserted, ListFilter, NewSubmission, Status};
use assay::service::group_commit::Writer;
use assay::service::invites::Invite;
use assay::service::outbox::Event;
use assay::service::reviews::{Rated, Saved};
use common::postgres::Postgres;

const LEASE: std::time::Duration = std::time::Duration::from_secs(60);

fn new<'a>(id: &'a str, key: Option<&'a str>, invite: Option<&'a str>) -> NewSubmission<'a> {
    NewSubmission {
        id,
        assignment: "t",
        candidate: "Ann",
        email: None,
        external_id: Some("ext-1"),
        idempotency_key: key,
        upload: "uploads/x/a.zip",
        upload_bytes: 10,
        invite,
        image_id: None,
    }
}

fn received(id: &str) -> Event {
    Event {
        name: "submission.received",
        data: serde_json::json!({ "id": id }),
    }
}

fn inserted(result: Inserted) -> (String, &'static str) {
    match result {
        Inserted::New(s) => (s.id, "new"),
        Inserted::Repeat(s) => (s.id, "repeat"),
        Inserted::InviteSpent => (String::new(), "spent"),
    }
}

/// Everything the service asks of its database, held to the same answers on each.
async fn the_records_hold(db: &Database) {
    // The queue: upload order, idempotency, positions.
    db.add_webhook("http://127.0.0.1:1/hook", "secret", &["grading.finished".to_string()])
        .await
        .unwrap();
    for id in ["s1", "s2", "s3"] {
        assert_eq!(
            inserted(db.insert_submission(&new(id, None, None), &received(id)).await.unwrap()).1,
            "new"
        );
    }
    let keyed = db
        .insert_submission(&new("s4", Some("k"), None), &received("s4"))
        .await
        .unwrap();
    assert_eq!(inserted(keyed), ("s4".to_string(), "new"));
    let again = db
        .insert_submission(&new("s5", Some("k"), None), &received("s5"))
        .await
        .unwrap();
    assert_eq!(inserted(again), ("s4".to_string(), "repeat"));
    let s3 = db.get("s3").await.unwrap().unwrap();
    assert_eq!((s3.status, s3.external_id.as_deref()), (Status::Queued, Some("ext-1")));
    assert_eq!(db.queue_position(s3.seq).await.unwrap(), 2);
    // Claims: oldest first, each once.
    let first = db.claim_next("w", LEASE).await.unwrap().unwrap();
    assert_eq!(
        (first.id.as_str(), first.status, first.attempts),
        ("s1", Status::Grading, 1)
    );
    let finished = Finished {
        status: Status::Graded,
        verdict: "passed",
        score: Some((7.5, 10.0)),
        sha256: "ab",
        summary: "fine",
        reproducibility: "reproducible",
        test_groups: r#"[{"name":"core","passed":true}]"#.to_string(),
        report_dir: "reports/x",
    };
    let event = Event {
        name: "grading.finished",
        data: serde_json::json!({ "id": "s1" }),
    };
    assert!(db.finish("s1", first.lease_token, &finished, &event).await.unwrap());
    let s1 = db.get("s1").await.unwrap().unwrap();
    assert_eq!(
        (s1.status, s1.score, s1.max_score),
        (Status::Graded, Some(7.5), Some(10.0))
    );
    assert_eq!(s1.reproducibility.as_deref(), Some("reproducible"));
    assert_eq!(s1.test_groups.as_deref(), Some(r#"[{"name":"core","passed":true}]"#));
    // A restart puts what was grading back in the queue.
    assert_eq!(db.claim_next("w", LEASE).await.unwrap().unwrap().id, "s2");
    assert_eq!(db.requeue_interrupted().await.unwrap(), 1);
    assert_eq!(db.get("s2").await.unwrap().unwrap().status, Status::Queued);
    // Lists: filters and pages.
    let page = db
        .list(&ListFilter {
            status: Some(Status::Queued),
            limit: 2,
            ..ListFilter::default()
        })
        .await
        .unwrap();
    let ids: Vec<&str> = page.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["s2", "s3"]);
    let rest = db
        .list(&ListFilter {
            status: Some(Status::Queued),
            after: Some(page[1].seq),
            limit: 2,
            ..ListFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(rest.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), ["s4"]);
    let counts = db.count_by_status().await.unwrap();
    assert!(
        counts.contains(&(Status::Graded, 1)) && counts.contains(&(Status::Queued, 3)),
        "{counts:?}"
    );
    // Tokens.
    db.insert_token("t1", "ci", "read", "hash1").await.unwrap();
    assert_eq!(db.token_scope("hash1").await.unwrap().as_deref(), Some("read"));
    assert!(db.revoke_token("t1").await.unwrap());
    assert!(!db.revoke_token("t1").await.unwrap());
    assert_eq!(db.token_scope("hash1").await.unwrap(), None);
    assert_eq!(db.tokens().await.unwrap().len(), 1);
    // Webhooks.
    let hooks = db.webhooks().await.unwrap();
    assert_eq!(hooks.len(), 1);
    assert_eq!(hooks[0].events, ["grading.finished"]);
    assert!(db.remove_webhook(&hooks[0].id).await.unwrap());
    assert!(db.webhooks().await.unwrap().is_empty());
    // Invites: one upload each.
    let invite = Invite {
        id: "i1".into(),
        assignment: "t".into(),
        candidate: "Bo".into(),
        email: None,
        external_id: None,
        expires_at: "2999-01-01T00:00:00.000000Z".into(),
        used_at: None,
        submission_id: None,
        opened_at: None,
        cancelled_at: None,
    };
    db.insert_invite(&invite).await.unwrap();
    let used = db
        .insert_submission(&new("s6", None, Some("i1")), &received("s6"))
        .await
        .unwrap();
    assert_eq!(inserted(used).1, "new");
    let spent = db
        .insert_submission(&new("s7", None, Some("i1")), &received("s7"))
        .await
        .unwrap();
    assert_eq!(inserted(spent).1, "spent");
    assert!(db.get("s7").await.unwrap().is_none(), "a spent invite records nothing");
    let recorded = db.invite("i1").await.unwrap().unwrap();
    assert_eq!(recorded.submission_id.as_deref(), Some("s6"));
    assert!(recorded.used_at.is_some());
}

/// Reviews from the browser: reviewers given out, drafts, a final submit, sessions.
async fn reviews_hold(db: &Database) {
    db.insert_token("r1", "ann", "review", "h-ann").await.unwrap();
    db.insert_token("r2", "bob", "review", "h-bob").await.unwrap();
    db.insert_token("r3", "boss", "admin", "h-boss").await.unwrap();
    assert_eq!(
        db.token_identity("h-ann").await.unwrap(),
        Some(("ann".to_string(), "review".to_string()))
    );
    assert_eq!(
        db.reviewers().await.unwrap(),
        ["ann", "bob"],
        "admins are not given reviews"
    );
    // s1 is the one graded submission to t: it gets both reviewers, once.
    assert_eq!(db.assign_reviews("t", 2, 10).await.unwrap(), 2);
    assert_eq!(db.assign_reviews("t", 2, 10).await.unwrap(), 0);
    assert_eq!(db.assigned_to("ann").await.unwrap(), ["s1"]);
    assert_eq!(db.assigned_to("bob").await.unwrap(), ["s1"]);
    let rated = |level: &str| {
        vec![Rated {
            criterion: "Code".into(),
            level: level.into(),
            comment: "ok".into(),
        }]
    };
    assert_eq!(
        db.save_review("s1", "ann", &rated(""), false).await.unwrap(),
        Saved::Draft
    );
    assert_eq!(
        db.save_review("s1", "ann", &rated("good"), true).await.unwrap(),
        Saved::Submitted
    );
    assert_eq!(
        db.save_review("s1", "ann", &rated("poor"), true).await.unwrap(),
        Saved::AlreadySubmitted
    );
    assert_eq!(
        db.save_review("s1", "bob", &rated(""), false).await.unwrap(),
        Saved::Draft
    );
    let reviews = db.reviews_of("s1").await.unwrap();
    let ann = reviews.iter().find(|r| r.reviewer == "ann").unwrap();
    assert!(ann.submitted);
    assert_eq!(ann.ratings, rated("good"), "a submitted review is never changed");
    let states = db.review_states("t").await.unwrap();
    let state = &states["s1"];
    assert_eq!((state.drafts, state.submitted), (1, 1));
    assert_eq!(state.label(), "reviewed by 1");
    assert_eq!(db.submitted_reviews("t").await.unwrap().len(), 1);
    // Sessions: found by the cookie's value, gone once ended.
    db.start_session("cookie-value", "ann", "review", "csrf-1")
        .await
        .unwrap();
    let session = db.session("cookie-value").await.unwrap().unwrap();
    assert_eq!(
        (session.reviewer.as_str(), session.admin, session.csrf.as_str()),
        ("ann", false, "csrf-1")
    );
    assert!(db.session("other").await.unwrap().is_none());
    db.end_session("cookie-value").await.unwrap();
    assert!(db.session("cookie-value").await.unwrap().is_none());
    // Passwords: one hash per reviewer, replaced when set again; reviewers include them.
    db.set_password("cy", "review", "$argon2id$one").await.unwrap();
    db.set_password("cy", "review", "$argon2id$two").await.unwrap();
    assert_eq!(
        db.password("cy").await.unwrap(),
        Some(("review".to_string(), "$argon2id$two".to_string()))
    );
    assert_eq!(db.reviewers().await.unwrap(), ["ann", "bob", "cy"]);
    db.start_session("cy-cookie", "cy", "review", "c").await.unwrap();
    assert!(db.remove_password("cy").await.unwrap());
    assert!(!db.remove_password("cy").await.unwrap());
    assert!(
        db.session("cy-cookie").await.unwrap().is_none(),
        "their sessions end with the password"
    );
}

/// Uploads arriving together (`grouped`: through the group commit, as on SQLite): each recorded once, a key used
/// twice at once gives the first submission back, an invite used twice at once is spent once.
async fn uploads_at_once_are_recorded_once(db: &Database, grouped: bool) {
    let writer = grouped.then(|| Writer::start(db.clone()));
    let invite = Invite {
        id: "i-race".into(),
        assignment: "t".into(),
        candidate: "Cy".into(),
        email: None,
        external_id: None,
        expires_at: "2999-01-01T00:00:00.000000Z".into(),
        used_at: None,
        submission_id: None,
        opened_at: None,
        cancelled_at: None,
    };
    db.insert_invite(&invite).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..60 {
        let (db, writer) = (db.clone(), writer.clone());
        tasks.push(tokio::spawn(async move {
            let id = format!("g{i}");
            // Keys k0..k9 are each sent six times; every fifteenth upload tries the invite.
            let key = format!("k{}", i % 10);
            let invite = (i % 15 == 0).then_some("i-race");
            let key = if invite.is_some() { None } else { Some(key.as_str()) };
            let upload = new(&id, key, invite);
            let answer = match &writer {
                Some(writer) => writer.insert(&db, &upload, &received(&id)).await,
                None => db.insert_submission(&upload, &received(&id)).await,
            };
            (i, inserted(answer.unwrap()))
        }));
    }
    let mut by_key: std::collections::BTreeMap<String, BTreeSet<String>> = Default::default();
    let (mut new_count, mut spent) = (0, 0);
    for task in tasks {
        let (i, (id, kind)) = task.await.unwrap();
        match kind {
            "new" => new_count += 1,
            "spent" => spent += 1,
            _ => {}
        }
        if i % 15 != 0 {
            by_key.entry(format!("k{}", i % 10)).or_default().insert(id);
        }
    }
    assert_eq!(spent, 3, "the invite is spent once, by one of four");
    for (key, ids) in &by_key {
        assert_eq!(ids.len(), 1, "{key} gave {ids:?}");
    }
    // Ten keys and one invite: eleven new submissions, with distinct places in the queue.
    assert_eq!(new_count, 11);
    let all = db
        .list(&ListFilter {
            limit: 1000,
            ..ListFilter::default()
        })
        .await
        .unwrap();
    let recorded: Vec<&str> = all
        .iter()
        .filter(|s| s.id.starts_with('g'))
        .map(|s| s.id.as_str())
        .collect();
    assert_eq!(recorded.len(), 11, "{recorded:?}");
    let seqs: BTreeSet<i64> = all.iter().map(|s| s.seq).collect();
    assert_eq!(seqs.len(), all.len(), "two submissions share a place in the queue");
}

/// Many workers claiming at once take every queued submission exactly once.
async fn claims_are_exclusive(db: &Database) {
    for i in 0..30 {
        let id = format!("c{i}");
        db.insert_submission(&new(&id, None, None), &received(&id))
            .await
            .unwrap();
    }
    let mut workers = Vec::new();
    for _ in 0..8 {
        let db = db.clone();
        workers.push(tokio::spawn(async move {
            let mut taken = Vec::new();
            while let Some(s) = db.claim_next("w", LEASE).await.unwrap() {
                taken.push(s.id);
            }
            taken
        }));
    }
    let mut all = Vec::new();
    for worker in workers {
        all.extend(worker.await.unwrap());
    }
    let distinct: BTreeSet<&String> = all.iter().collect();
    assert_eq!(distinct.len(), all.len(), "a submission was claimed twice: {all:?}");
    assert_eq!(all.iter().filter(|id| id.starts_with('c')).count(), 30, "{all:?}");
    assert!(db.claim_next("w", LEASE).await.unwrap().is_none(), "the queue is empty");
    // A grade put back to wait is not taken again before its time.
    db.insert_submission(&new("w1", None, None), &received("w1"))
        .await
        .unwrap();
    assert_eq!(db.claim_next("w", LEASE).await.unwrap().unwrap().id, "w1");
    let w1 = db.get("w1").await.unwrap().unwrap();
    assert!(
        db.requeue("w1", w1.lease_token, std::time::Duration::from_millis(1500))
            .await
            .unwrap()
    );
    assert!(
        db.claim_next("w", LEASE).await.unwrap().is_none(),
        "taken before its wait was over"
    );
    tokio::time::sleep(std::time::Duration::from_millis(1600)).await;
    let again = db.claim_next("w", LEASE).await.unwrap().unwrap();
    assert_eq!((again.id.as_str(), again.attempts), ("w1", 2));
}

/// Leases: a claim that runs out goes back uncounted and its late result is refused; the
/// worker that took over records the grade.
async fn leases_fence_late_results(db: &Database) {
    for id in ["l1", "l2"] {
        db.insert_submission(&new(id, None, None), &received(id)).await.unwrap();
    }
    let short = std::time::Duration::from_millis(300);
    let lost = db.claim_next("paused", short).await.unwrap().unwrap();
    assert_eq!((lost.id.as_str(), lost.attempts), ("l1", 1));
    assert!(db.renew("l1", lost.lease_token, short).await.unwrap());
    assert!(db.reap_expired().await.unwrap().is_empty(), "a renewed lease holds");
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert_eq!(db.reap_expired().await.unwrap(), ["l1"]);
    let back = db.get("l1").await.unwrap().unwrap();
    assert_eq!((back.status, back.attempts, back.lost_attempts), (Status::Queued, 0, 1));
    assert!(
        !db.renew("l1", lost.lease_token, short).await.unwrap(),
        "the lost claim cannot renew"
    );
    let taken = db.claim_next("other", LEASE).await.unwrap().unwrap();
    assert_eq!((taken.id.as_str(), taken.attempts), ("l1", 1));
    assert_eq!(taken.lease_token, lost.lease_token + 1);
    let finished = |verdict| Finished {
        status: Status::Graded,
        verdict,
        score: Some((1.0, 1.0)),
        sha256: "cd",
        summary: verdict,
        reproducibility: "reproducible",
        test_groups: "[]".into(),
        report_dir: "reports/x",
    };
    let done = |id: &str| Event {
        name: "grading.finished",
        data: serde_json::json!({ "id": id }),
    };
    assert!(
        !db.finish("l1", lost.lease_token, &finished("late"), &done("l1"))
            .await
            .unwrap(),
        "fenced"
    );
    assert!(!db.requeue("l1", lost.lease_token, LEASE).await.unwrap(), "fenced");
    assert!(
        db.finish("l1", taken.lease_token, &finished("passed"), &done("l1"))
            .await
            .unwrap()
    );
    let graded = db.get("l1").await.unwrap().unwrap();
    assert_eq!(
        (graded.status, graded.summary.as_deref()),
        (Status::Graded, Some("passed"))
    );
    let attempts = db.attempts_of("l1").await.unwrap();
    let outcomes: Vec<(&str, Option<&str>)> = attempts.iter().map(|(_, w, o)| (w.as_str(), o.as_deref())).collect();
    assert_eq!(outcomes, [("paused", Some("refused")), ("other", Some("graded"))]);
    // A claim handed back (assignment not served there) is not counted either.
    let l2 = db.claim_next("narrow", LEASE).await.unwrap().unwrap();
    assert!(
        db.hand_back("l2", l2.lease_token, std::time::Duration::ZERO)
            .await
            .unwrap()
    );
    assert_eq!(db.get("l2").await.unwrap().unwrap().attempts, 0);
    let l2 = db.claim_next("wide", LEASE).await.unwrap().unwrap();
    assert!(
        db.finish("l2", l2.lease_token, &finished("passed"), &done("l2"))
            .await
            .unwrap()
    );
    // A worker with another sandbox image hands the job back, uncounted, and says why.
    let named = NewSubmission {
        image_id: Some("sha256:right"),
        ..new("l3", None, None)
    };
    db.insert_submission(&named, &received("l3")).await.unwrap();
    let l3 = db.claim_next("other-image", LEASE).await.unwrap().unwrap();
    assert_eq!(l3.image_id.as_deref(), Some("sha256:right"));
    assert!(
        db.refuse_image("l3", l3.lease_token, std::time::Duration::ZERO)
            .await
            .unwrap()
    );
    let back = db.get("l3").await.unwrap().unwrap();
    assert_eq!((back.status, back.attempts), (Status::Queued, 0));
    assert_eq!(db.attempts_of("l3").await.unwrap()[0].2.as_deref(), Some("wrong_image"));
    // Workers are listed with their load and heartbeat.
    db.register_worker("wk_1", "host/1", "engine 20.10", 4).await.unwrap();
    db.worker_beat("wk_1", 3).await.unwrap();
    let workers = db.workers().await.unwrap();
    let one = workers.iter().find(|w| w.id == "wk_1").unwrap();
    assert_eq!((one.name.as_str(), one.load, one.concurrency), ("host/1", 3, 4));
}

/// ATS integrations: found by their key's hash only; one interview per live candidate and
/// test however many starts arrive at once; a cancel ends it; a claim is taken once; what was
/// told is kept.
async fn ats_records_hold(db: &Database) {
    use assay::service::ats::interviews::{Cancelled, NewInterview, Started, live_key};
    use assay::service::ats::status::Status as AtsStatus;
    use assay::service::ats::{Kind, NewIntegration};
    let tests = [("101".to_string(), "t".to_string())].into_iter().collect();
    let acme = NewIntegration {
        kind: Kind::Greenhouse,
        name: "acme",
        key_hash: "hash-acme",
        outbound_sealed: "sealed",
        api_url: Some("http://127.0.0.1:9"),
        link_lifetime: std::time::Duration::from_secs(3600),
        tests: &tests,
    };
    let id = db.add_integration(&acme).await.unwrap().unwrap();
    assert_eq!(
        db.add_integration(&acme).await.unwrap(),
        None,
        "one name, one integration"
    );
    let found = db
        .integration_by_key(Kind::Greenhouse, "hash-acme")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((found.id.as_str(), found.tests["101"].as_str()), (id.as_str(), "t"));
    assert!(db.integration_by_key(Kind::Ashby, "hash-acme").await.unwrap().is_none());
    assert!(
        db.integration_by_key(Kind::Greenhouse, "hash-acmf")
            .await
            .unwrap()
            .is_none()
    );
    let invite = |candidate: &str| Invite {
        id: String::new(),
        assignment: "t".into(),
        candidate: candidate.into(),
        email: Some(format!("{candidate}@example.org")),
        external_id: None,
        expires_at: "2999-01-01T00:00:00.000000Z".into(),
        used_at: None,
        submission_id: None,
        opened_at: None,
        cancelled_at: None,
    };
    let link = |id: &str| format!("http://assay/invite/{id}");
    let mut starts = Vec::new();
    for _ in 0..8 {
        let (db, found, invite) = (db.clone(), found.clone(), invite("dee"));
        starts.push(tokio::spawn(async move {
            let start = NewInterview {
                integration: &found,
                test_id: "101",
                invite,
                candidate_json: "{}".into(),
                callback_url: Some("http://127.0.0.1:9/x".into()),
                live_key: live_key(&found.id, "101", &["dee@example.org"]),
                link: &link,
            };
            db.start_interview(&start).await.unwrap()
        }));
    }
    let mut ids = BTreeSet::new();
    let mut made = 0;
    for start in starts {
        let started = start.await.unwrap();
        made += matches!(started, Started::New { .. }) as usize;
        ids.insert(started.interview_id().to_string());
    }
    assert_eq!((made, ids.len()), (1, 1), "eight starts at once make one interview");
    let interview_id = ids.into_iter().next().unwrap();
    let interview = db.interview(&id, &interview_id).await.unwrap().unwrap();
    assert_eq!(interview.status(), AtsStatus::Invited);
    // Two more candidates: paging by id sees each due interview once.
    for candidate in ["eve", "fay"] {
        let start = NewInterview {
            integration: &found,
            test_id: "101",
            invite: invite(candidate),
            candidate_json: "{}".into(),
            callback_url: None,
            live_key: live_key(&found.id, "101", &[candidate]),
            link: &link,
        };
        db.start_interview(&start).await.unwrap();
    }
    let first = db.interviews_due("", 2).await.unwrap();
    let rest = db.interviews_due(&first[1].id, 2).await.unwrap();
    assert_eq!((first.len(), rest.len()), (2, 1));
    assert!(first[1].id < rest[0].id && first[0].id < first[1].id);
    assert!(db.interview("another", &interview_id).await.unwrap().is_none());
    // One process takes a due interview; the other finds it taken.
    let due = db.interviews_due("", 100).await.unwrap();
    let mine = due.iter().find(|i| i.id == interview_id).unwrap();
    assert!(db.claim_interview(mine, "2999-01-01T00:00:00.000000Z").await.unwrap());
    assert!(!db.claim_interview(mine, "2999-01-01T00:00:00.000000Z").await.unwrap());
    db.reported(&interview_id, AtsStatus::Started).await.unwrap();
    let interview = db.interview(&id, &interview_id).await.unwrap().unwrap();
    assert_eq!((interview.reported.as_str(), interview.attempts), ("started", 0));
    db.report_failed(&interview_id, 1, Some("2000-01-01T00:00:00.000000Z".into()))
        .await
        .unwrap();
    assert!(
        db.interviews_due("", 100)
            .await
            .unwrap()
            .iter()
            .any(|i| i.id == interview_id)
    );
    // Cancelled: the link takes no upload, and the next start makes a new interview.
    assert_eq!(db.cancel_interview(&id, &interview_id).await.unwrap(), Cancelled::Now);
    assert_eq!(
        db.cancel_interview(&id, &interview_id).await.unwrap(),
        Cancelled::Already
    );
    assert_eq!(
        db.cancel_interview(&id, "nope").await.unwrap(),
        Cancelled::NoSuchInterview
    );
    let interview = db.interview(&id, &interview_id).await.unwrap().unwrap();
    assert_eq!(interview.status(), AtsStatus::Cancelled);
    assert!(
        !db.interviews_due("", 100)
            .await
            .unwrap()
            .iter()
            .any(|i| i.id == interview_id)
    );
    let spent = db
        .insert_submission(&new("ats-s1", None, Some(&interview.invite.id)), &received("ats-s1"))
        .await
        .unwrap();
    assert_eq!(inserted(spent).1, "spent", "a cancelled link takes no upload");
    let again = NewInterview {
        integration: &found,
        test_id: "101",
        invite: invite("dee"),
        candidate_json: "{}".into(),
        callback_url: None,
        live_key: live_key(&found.id, "101", &["dee@example.org"]),
        link: &link,
    };
    let again = db.start_interview(&again).await.unwrap();
    assert!(matches!(again, Started::New { .. }));
    assert_ne!(again.interview_id(), interview_id);
    // Audit, newest kept, oldest first.
    use assay::service::ats::audit::Direction;
    db.audit(&id, Direction::In, "send_test", Some(&interview_id), Some(200), "ok")
        .await;
    db.audit(
        &id,
        Direction::Out,
        "completed",
        None,
        None,
        "the ATS \u{1b}[31mcould not be reached",
    )
    .await;
    let audit = db.audit_of(&id, 10).await.unwrap();
    assert_eq!(audit.len(), 2);
    assert_eq!(audit[1].outcome, "the ATS could not be reached", "kept plain");
    // Removed: its key works no more, and its name is free again.
    assert!(db.remove_integration("acme").await.unwrap());
    assert!(
        db.integration_by_key(Kind::Greenhouse, "hash-acme")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        db.add_integration(&NewIntegration {
            key_hash: "hash-2",
            ..acme
        })
        .await
        .unwrap()
        .is_some()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_keeps_the_records() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open_in(dir.path()).await.unwrap();
    the_records_hold(&db).await;
    // Opened again, the schema is current and the records are there.
    let db = Database::open_in(dir.path()).await.unwrap();
    assert_eq!(db.get("s1").await.unwrap().unwrap().status, Status::Graded);
    reviews_hold(&db).await;
    uploads_at_once_are_recorded_once(&db, true).await;
    claims_are_exclusive(&db).await;
    ats_records_hold(&db).await;
    leases_fence_late_results(&db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_keeps_the_same_records() {
    let postgres = tokio::task::spawn_blocking(Postgres::start).await.unwrap();
    let db = Database::open(&postgres.url).await.unwrap();
    the_records_hold(&db).await;
    let db = Database::open(&postgres.url).await.unwrap();
    assert_eq!(db.get("s1").await.unwrap().unwrap().status, Status::Graded);
    reviews_hold(&db).await;
    uploads_at_once_are_recorded_once(&db, false).await;
    claims_are_exclusive(&db).await;
    ats_records_hold(&db).await;
    leases_fence_late_results(&db).await;
    drop(db);
    tokio::task::spawn_blocking(move || drop(postgres)).await.unwrap();
}
