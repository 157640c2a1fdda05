//! `sqscan audit` and `sqscan merge` on real repositories built with the
//! git CLI, cloned through a real `git daemon` on 127.0.0.1, and listed
//! from loopback servers playing the GitHub, GitLab and Azure DevOps APIs.

mod util;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};
use util::fake_sonar::{FakeSonar, Reply};
use util::{GitDaemon, GitRepo, SOT, SOT2, SQP, SQU, git_in, json, run, sqscan};

/// A forge token an audit is given: it must never show anywhere.
const FORGE_TOKEN: &str = "ghp_FAKEforgeTOKENnotREAL0123456789abcdef";

/// A work repository with `history` committed in order; returns it.
fn work_repo(history: &[&[(&str, Option<&str>)]]) -> GitRepo {
    let repo = GitRepo::new();
    for (n, files) in history.iter().enumerate() {
        repo.commit(&format!("commit {n}"), files);
    }
    repo
}

/// A bare copy of `repo` at `base/name`, served as the daemon serves it.
fn publish(repo: &GitRepo, base: &Path, name: &str) -> PathBuf {
    let target = base.join(name);
    git_in(base, &["clone", "-q", "--bare", &repo.path().display().to_string(), &target.display().to_string()]);
    git_in(&target, &["config", "uploadpack.allowFilter", "true"]);
    git_in(&target, &["config", "uploadpack.allowAnySHA1InWant", "true"]);
    target
}

fn incident<'a>(report: &'a Value, rule_prefix: &str) -> &'a Value {
    report["incidents"]
        .as_array()
        .expect("incidents")
        .iter()
        .find(|i| i["rule"].as_str().is_some_and(|r| r.starts_with(rule_prefix)))
        .unwrap_or_else(|| panic!("no {rule_prefix} incident in {report:#}"))
}

fn repository<'a>(report: &'a Value, ending: &str) -> &'a Value {
    report["repositories"]
        .as_array()
        .expect("repositories")
        .iter()
        .find(|r| r["repository"].as_str().is_some_and(|id| id.ends_with(ending)))
        .unwrap_or_else(|| panic!("no repository {ending} in {report:#}"))
}

/// The report without what differs between two runs of the same audit.
fn timeless(mut report: Value) -> Value {
    report["stats"].as_object_mut().expect("stats").remove("elapsed_ms");
    report["stats"].as_object_mut().expect("stats").remove("shard");
    for r in report["repositories"].as_array_mut().expect("repositories") {
        r.as_object_mut().expect("a repository").remove("elapsed_ms");
    }
    report
}

fn assert_secret_free(texts: &[&str]) {
    for text in texts {
        for secret in [SOT, SOT2, SQP, SQU, FORGE_TOKEN] {
            assert!(!text.contains(secret), "a secret in full: {secret} in {text}");
        }
    }
}

#[test]
fn one_incident_lists_every_repository_that_holds_the_secret() {
    let root = tempfile::tempdir().expect("tempdir");
    let shared = format!("SONAR_TOKEN={SOT}\n");
    let server = format!("sonar.token={SQP}\n");
    for name in ["alpha", "beta"] {
        let repo = work_repo(&[&[("ci/app.env", Some(&shared)), ("README", Some(name))]]);
        std::fs::rename(repo.sandbox.path(), root.path().join(name)).expect("move");
    }
    // A third holds it too, and had a Server token it later removed; a
    // repository inside its work tree is not searched (it is the tree's).
    let gamma = work_repo(&[
        &[("sonar-project.properties", Some(&server))],
        &[("deploy/.env", Some(&shared)), ("sonar-project.properties", None)],
    ]);
    std::fs::create_dir_all(root.path().join("team")).expect("mkdir");
    std::fs::rename(gamma.sandbox.path(), root.path().join("team/gamma")).expect("move");
    // A repository inside a work tree belongs to that tree: not searched.
    git_in(&root.path().join("team/gamma"), &["init", "-q", "vendored"]);
    let (code, out, err) = run(sqscan().args(["audit", "--format", "json"]).arg(root.path()));
    assert_eq!(code, 1, "{err}");
    let report = json(&out);
    assert_eq!(report["stats"]["repositories"], 3, "{report:#}");
    assert_eq!(report["stats"]["complete"], 3);
    assert_eq!(report["stats"]["incidents"], 2);
    let cloud = incident(&report, "sonarqube-cloud-scoped");
    let names: Vec<&str> = cloud["repositories"].as_array().expect("list").iter().filter_map(Value::as_str).collect();
    assert_eq!(names.len(), 3, "{cloud:#}");
    assert!(names[0].ends_with("/alpha") && names[1].ends_with("/beta") && names[2].ends_with("/team/gamma"));
    assert_eq!(cloud["secret"], "sqco_7kwY…4Kl5");
    for location in cloud["locations"].as_array().expect("locations") {
        assert_eq!(location["at_head"], true);
        assert_eq!(location["author"], "Ann Dev");
        assert!(location["commit"].as_str().is_some_and(|c| c.len() == 40));
    }
    let gone = incident(&report, "sonarqube-server-project");
    assert_eq!(gone["locations"][0]["path"], "sonar-project.properties");
    assert_eq!(gone["locations"][0]["at_head"], false);
    assert_eq!(gone["locations"][0]["date"], "2024-01-01T00:01:00+00:00");
    assert_secret_free(&[&out, &err]);

    // SARIF: one run per repository, each named by its identity.
    let (_, sarif, _) = run(sqscan().args(["audit", "-q", "--format", "sarif"]).arg(root.path()));
    let sarif = json(&sarif);
    let runs = sarif["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 3);
    for run in runs {
        let id = run["automationDetails"]["id"].as_str().expect("an id");
        assert!(id.starts_with("sqscan/audit/"), "{id}");
        assert!(!run["results"].as_array().expect("results").is_empty());
    }
    assert_secret_free(&[&sarif.to_string()]);
}

#[test]
fn remote_repositories_are_mirrored_then_fetched_and_rescanned_only_where_new() {
    let served = tempfile::tempdir().expect("tempdir");
    let work = tempfile::tempdir().expect("tempdir");
    let one = work_repo(&[&[("a.env", Some(&format!("SONAR_TOKEN={SOT}\n")))], &[("b.txt", Some("plain"))]]);
    publish(&one, served.path(), "org/one.git");
    let two = work_repo(&[&[("x.properties", Some(&format!("sonar.token={SQP}\n")))]]);
    let two_bare = publish(&two, served.path(), "org/two.git");
    let daemon = GitDaemon::start(served.path());
    let list = work.path().join("repos.txt");
    std::fs::write(
        &list,
        format!(
            "# this week's repositories\n{}\n\n{}  # the second\n{}\n",
            daemon.url("org/one.git"),
            daemon.url("org/two.git"),
            daemon.url("org/missing.git")
        ),
    )
    .expect("list");
    let args = |extra: &[&str]| {
        let mut command = sqscan();
        command
            .current_dir(work.path())
            .args(["audit", "--repos", "repos.txt", "--cache", "cache", "--state", "state"])
            .args(["--audit-log", "audit.jsonl", "--format", "json", "--progress", "never"])
            .args(extra);
        command
    };
    let (code, out, err) = run(args(&[]));
    assert_eq!(code, 2, "a repository failed: the audit is incomplete: {err}");
    assert!(err.contains("incomplete audit"), "{err}");
    let first = json(&out);
    assert_eq!(first["stats"]["failed"], 1, "{first:#}");
    assert_eq!(first["stats"]["complete"], 2);
    let missing = repository(&first, "/org/missing");
    assert_eq!(missing["status"], "failed");
    assert!(missing["reason"].as_str().is_some_and(|r| r.contains("git could not fetch")), "{missing:#}");
    assert!(
        incident(&first, "sonarqube-cloud-scoped")["repositories"][0].as_str().is_some_and(|r| r.ends_with("/org/one"))
    );
    assert!(
        incident(&first, "sonarqube-server-project")["repositories"][0]
            .as_str()
            .is_some_and(|r| r.ends_with("/org/two"))
    );
    assert_eq!(repository(&first, "/org/one")["blobs_scanned"], 2);
    let log = std::fs::read_to_string(work.path().join("audit.jsonl")).expect("a log");
    let events: Vec<Value> = log.lines().map(json).collect();
    let of = |event: &str| events.iter().filter(|e| e["event"] == event).count();
    assert_eq!((of("discovered"), of("fetched"), of("scanned"), of("failed")), (3, 2, 2, 1), "{log}");
    assert!(events.iter().any(|e| e["event"] == "fetched" && e["action"] == "clone"));
    assert_eq!(events.last().expect("events")["event"], "finished");

    // --allow-incomplete: the usual 1 for findings.
    let (code, _, _) = run(args(&["--allow-incomplete", "-q"]));
    assert_eq!(code, 1);

    // A new commit upstream: fetched, and only its blob scanned.
    two.commit("more", &[("y.env", Some(&format!("SONAR_TOKEN={SOT2}\n")))]);
    git_in(two.path(), &["push", "-q", &two_bare.display().to_string(), "main"]);
    let (code, out, err) = run(args(&["--allow-incomplete"]));
    assert_eq!(code, 1, "{err}");
    let second = json(&out);
    let two_report = repository(&second, "/org/two");
    assert_eq!(two_report["blobs_scanned"], 1, "{two_report:#}");
    assert_eq!(two_report["blobs_reused"], 1);
    assert_eq!(repository(&second, "/org/one")["blobs_scanned"], 0);
    let log = std::fs::read_to_string(work.path().join("audit.jsonl")).expect("a log");
    assert!(log.lines().map(json).any(|e| e["event"] == "fetched" && e["action"] == "fetch"));
    let secrets: Vec<&str> =
        second["incidents"].as_array().expect("incidents").iter().filter_map(|i| i["secret"].as_str()).collect();
    assert!(secrets.contains(&"sqco_zyii…JxUG") && secrets.contains(&"sqco_7kwY…4Kl5"), "{second:#}");
    // What an incremental run reports is what a fresh one does.
    let (_, fresh, _) = run(sqscan().current_dir(work.path()).args([
        "audit",
        "--repos",
        "repos.txt",
        "--cache",
        "cache",
        "--format",
        "json",
        "-q",
    ]));
    assert_eq!(json(&fresh)["incidents"], second["incidents"]);
    assert_secret_free(&[&out, &err, &log, &fresh]);
}

/// A GitHub that lists three pages, answers the second once with its rate
/// limit spent, and holds an archived repository and a fork.
fn fake_github(urls: Vec<String>) -> FakeSonar {
    let limited = Arc::new(AtomicUsize::new(0));
    FakeSonar::start(move |request| {
        let repo = |n: usize, archived: bool, fork: bool| json!({"full_name": format!("acme/r{n}"), "clone_url": urls[n], "archived": archived, "fork": fork});
        let host = request.headers.iter().find(|(n, _)| n == "host").map(|(_, v)| v.clone()).unwrap_or_default();
        let next =
            |page: u32| format!("<http://{host}/orgs/acme/repos?per_page=100&type=all&page={page}>; rel=\"next\"");
        match request.path.as_str() {
            p if p.starts_with("/orgs/acme/repos") && p.ends_with("type=all") => {
                Reply::json(200, json!([repo(0, false, false)])).header("Link", &next(2))
            }
            p if p.starts_with("/orgs/acme/repos") && p.ends_with("page=2") => {
                if limited.fetch_add(1, Ordering::SeqCst) == 0 {
                    let reset =
                        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + 1;
                    return Reply::json(403, json!({"message": "API rate limit exceeded"}))
                        .header("X-RateLimit-Remaining", "0")
                        .header("X-RateLimit-Reset", &reset.to_string());
                }
                Reply::json(200, json!([repo(1, true, false), repo(2, false, true)])).header("Link", &next(3))
            }
            p if p.starts_with("/orgs/acme/repos") && p.ends_with("page=3") => {
                Reply::json(200, json!([repo(3, false, false)]))
            }
            p if p.starts_with("/orgs/ann/repos") => Reply::json(404, json!({"message": "Not Found"})),
            p if p.starts_with("/users/ann/repos") => Reply::json(200, json!([repo(4, false, false)])),
            _ => Reply::json(404, json!({"message": "Not Found"})),
        }
    })
}

#[test]
fn organizations_are_listed_page_by_page_on_every_forge_and_tokens_stay_home() {
    let served = tempfile::tempdir().expect("tempdir");
    let work = tempfile::tempdir().expect("tempdir");
    for n in 0..6 {
        let repo = work_repo(&[&[("app.env", Some(&format!("SONAR_TOKEN={SOT}\n"))), ("n.txt", Some(&n.to_string()))]]);
        publish(&repo, served.path(), &format!("r{n}.git"));
    }
    let daemon = GitDaemon::start(served.path());
    let urls: Vec<String> = (0..6).map(|n| daemon.url(&format!("r{n}.git"))).collect();
    let github = fake_github(urls.clone());
    let gitlab_urls = urls.clone();
    let gitlab = FakeSonar::start(move |request| {
        let project = |n: usize, fork: bool| {
            let mut p = json!({"path_with_namespace": format!("grp/r{n}"), "http_url_to_repo": gitlab_urls[n], "archived": false});
            if fork {
                p["forked_from_project"] = json!({"id": 1});
            }
            p
        };
        match request.path.as_str() {
            p if p.starts_with("/api/v4/groups/grp%2Fsub/projects") && p.ends_with("&page=1") => {
                Reply::json(200, json!([project(0, false)])).header("X-Next-Page", "2")
            }
            p if p.starts_with("/api/v4/groups/grp%2Fsub/projects") && p.ends_with("&page=2") => {
                Reply::json(200, json!([project(5, false), project(4, true)])).header("X-Next-Page", "")
            }
            _ => Reply::json(401, json!({"message": "401 Unauthorized"})),
        }
    });
    let azure_urls = urls.clone();
    let azure = FakeSonar::start(move |request| match request.path.as_str() {
        p if p.starts_with("/contoso/_apis/projects") && !p.contains("continuationToken") => {
            Reply::json(200, json!({"count": 1, "value": [{"name": "Web"}]})).header("x-ms-continuationtoken", "next1")
        }
        p if p.starts_with("/contoso/_apis/projects") => {
            Reply::json(200, json!({"count": 1, "value": [{"name": "Data Lake"}]}))
        }
        p if p.starts_with("/contoso/Web/_apis/git/repositories") => Reply::json(
            200,
            json!({"value": [{"name": "r1", "remoteUrl": azure_urls[1], "isFork": false, "isDisabled": false},
                              {"name": "r2", "remoteUrl": azure_urls[2], "isFork": false, "isDisabled": true}]}),
        ),
        p if p.starts_with("/contoso/Data%20Lake/_apis/git/repositories") => {
            Reply::json(200, json!({"value": [{"name": "r3", "remoteUrl": azure_urls[3]}]}))
        }
        _ => Reply::json(404, json!({})),
    });
    let mut command = sqscan();
    command
        .current_dir(work.path())
        .args([
            "audit",
            "--github-org",
            "acme",
            "--github-org",
            "ann",
            "--gitlab-group",
            "grp/sub",
            "--gitlab-group",
            "secret-grp",
        ])
        .args(["--azure-devops", "contoso", "--cache", "cache", "--audit-log", "log.jsonl", "--format", "json"])
        .args(["--github-api-url", &github.url(), "--gitlab-url", &gitlab.url(), "--azure-devops-url", &azure.url()])
        .env("GITHUB_TOKEN", FORGE_TOKEN)
        .env("GITLAB_TOKEN", FORGE_TOKEN)
        .env("AZURE_DEVOPS_EXT_PAT", FORGE_TOKEN);
    let (code, out, err) = run(command);
    // The GitLab group that answers 401 stops its listing: incomplete.
    assert_eq!(code, 2, "{err}");
    let report = json(&out);
    let listing = |forge: &str, target: &str| {
        report["enumerations"]
            .as_array()
            .expect("enumerations")
            .iter()
            .find(|e| e["forge"] == forge && e["target"] == target)
            .cloned()
            .unwrap_or_else(|| panic!("no {forge} {target} in {report:#}"))
    };
    let acme = listing("github", "acme");
    assert_eq!(acme["listed"], 4, "{acme:#}");
    assert_eq!(acme["excluded"], json!({"archived": 1, "forks": 1}));
    assert!(acme.get("stopped").is_none(), "the rate limit was waited out: {acme:#}");
    assert_eq!(listing("github", "ann")["listed"], 1, "a user, not an organization");
    assert_eq!(listing("gitlab", "grp/sub")["excluded"], json!({"forks": 1}));
    let refused = listing("gitlab", "secret-grp");
    assert!(refused["stopped"].as_str().is_some_and(|s| s.contains("HTTP 401")), "{refused:#}");
    assert_eq!(listing("azure-devops", "contoso")["listed"], 3);
    assert_eq!(listing("azure-devops", "contoso")["excluded"], json!({"archived": 1}));
    // r0 (GitHub, GitLab), r1 (Azure), r3 (GitHub, Azure), r4 (GitHub user),
    // r5 (GitLab): each once; r2 is archived, disabled or a fork everywhere.
    assert_eq!(report["stats"]["repositories"], 5, "{report:#}");
    assert_eq!(report["stats"]["complete"], 5);
    assert_eq!(report["stats"]["incidents"], 1);
    assert_eq!(report["incidents"][0]["repositories"].as_array().expect("list").len(), 5);
    assert!(err.contains("listing gitlab secret-grp stopped"), "{err}");

    // Each token went to its own API, in a header, and nowhere else.
    for request in github.requests() {
        assert_eq!(request.authorization.as_deref(), Some(format!("Bearer {FORGE_TOKEN}").as_str()));
        assert!(!request.path.contains(FORGE_TOKEN));
    }
    assert!(github.requests().len() >= 5, "three pages, one answered twice, and the user");
    for request in gitlab.requests() {
        assert!(request.headers.iter().any(|(n, v)| n == "private-token" && v == FORGE_TOKEN));
        assert!(request.authorization.is_none());
    }
    for request in azure.requests() {
        assert!(request.authorization.as_deref().is_some_and(|a| a.starts_with("Basic ")));
    }
    let log = std::fs::read_to_string(work.path().join("log.jsonl")).expect("log");
    assert_secret_free(&[&out, &err, &log]);

    // A rate limit longer than the wait allowed stops the listing, and says so.
    let slow = FakeSonar::start(|_| Reply::json(429, json!({"message": "slow down"})).header("Retry-After", "3600"));
    let (code, out, err) = run(sqscan().current_dir(work.path()).args([
        "audit",
        "--github-org",
        "acme",
        "--rate-limit-wait",
        "1",
        "--format",
        "json",
        "--github-api-url",
        &slow.url(),
    ]));
    assert_eq!(code, 2, "{err}");
    let stopped = json(&out)["enumerations"][0]["stopped"].as_str().unwrap_or_default().to_string();
    assert!(stopped.contains("rate limited") && stopped.contains("3600"), "{stopped}");
}

#[test]
fn shard_reports_merge_into_what_one_run_reports() {
    let root = tempfile::tempdir().expect("tempdir");
    for n in 0..8 {
        let token = if n % 2 == 0 { SOT } else { SQU };
        let repo = work_repo(&[&[("app.env", Some(&format!("SONAR_TOKEN={token}\nid={n}\n")))]]);
        std::fs::create_dir_all(root.path().join("org")).expect("mkdir");
        std::fs::rename(repo.sandbox.path(), root.path().join(format!("org/repo{n}"))).expect("move");
    }
    let whole = |extra: &[&str], env: Option<&str>| {
        let mut command = sqscan();
        command.current_dir(root.path()).args(["audit", "org", "-q"]).args(extra);
        if !extra.contains(&"--format") {
            command.args(["--format", "json"]);
        }
        if let Some(index) = env {
            command.env("JOB_COMPLETION_INDEX", index);
        }
        let (code, out, err) = run(command);
        assert!(code == 0 || code == 1, "{err}");
        out
    };
    let single = json(&whole(&[], None));
    let mut parts = Vec::new();
    let mut covered = 0;
    for k in 1..=3 {
        let path = root.path().join(format!("shard{k}.json"));
        let report = whole(&["--shard", &format!("{k}/3")], None);
        covered += json(&report)["stats"]["repositories"].as_u64().expect("a count");
        std::fs::write(&path, &report).expect("write");
        parts.push(path);
    }
    assert_eq!(covered, 8, "every repository in exactly one shard");
    // --shards N with a Kubernetes Indexed Job's index picks the same.
    assert_eq!(
        timeless(json(&whole(&["--shards", "3"], Some("1")))),
        timeless(json(&std::fs::read_to_string(&parts[1]).expect("read")))
    );
    let merge = |format: &str| {
        let (code, out, err) = run(sqscan().arg("merge").args(&parts).args(["--format", format, "-q"]));
        assert_eq!(code, 1, "{err}");
        out
    };
    assert_eq!(timeless(json(&merge("json"))), timeless(single));
    let single_sarif = whole(&["--format", "sarif"], None);
    assert_eq!(json(&merge("sarif")), json(&single_sarif));
    let csv = merge("csv");
    assert_eq!(csv.lines().count(), 9, "a header and a row per location:\n{csv}");
    let html = merge("html");
    assert!(html.contains("id=\"repositories\"") && html.contains("repo7"));
    assert_secret_free(&[&csv, &html, &single_sarif]);

    // Bad input is one line and exit 2, before any work.
    let (code, _, err) = run(sqscan().current_dir(root.path()).args(["audit", "org", "--shard", "4/3"]));
    assert_eq!(code, 2);
    assert!(err.contains("--shard"), "{err}");
    std::fs::write(root.path().join("bad.json"), "{\"incidents\": 3}").expect("write");
    let (code, _, err) = run(sqscan().current_dir(root.path()).args(["merge", "bad.json"]));
    assert_eq!(code, 2);
    assert!(err.contains("not an sqscan audit JSON report"), "{err}");
}

#[test]
fn shallow_and_blobless_clones_are_partial_never_clean() {
    let served = tempfile::tempdir().expect("tempdir");
    let work = tempfile::tempdir().expect("tempdir");
    let repo = work_repo(&[
        &[("old.env", Some(&format!("SONAR_TOKEN={SOT}\n")))],
        &[("old.env", None), ("new.txt", Some("clean now"))],
    ]);
    publish(&repo, served.path(), "app.git");
    publish(&repo, served.path(), "fork.git");
    let daemon = GitDaemon::start(served.path());
    git_in(work.path(), &["clone", "-q", "--bare", "--filter=blob:none", &daemon.url("app.git"), "blobless.git"]);
    git_in(work.path(), &["clone", "-q", "--depth", "1", &daemon.url("fork.git"), "shallow"]);
    let (code, out, err) =
        run(sqscan().current_dir(work.path()).args(["audit", "blobless.git", "shallow", "--format", "json"]));
    assert_eq!(code, 2, "{err}");
    let report = json(&out);
    assert_eq!(report["stats"]["partial"], 2, "{report:#}");
    let blobless = &report["repositories"]
        .as_array()
        .expect("list")
        .iter()
        .find(|r| r["clone"] == "blobless")
        .cloned()
        .expect("blobless");
    assert_eq!(blobless["status"], "partial");
    assert!(blobless["missing_objects"].as_u64().is_some_and(|n| n >= 1), "{blobless:#}");
    let shallow = report["repositories"]
        .as_array()
        .expect("list")
        .iter()
        .find(|r| r["clone"] == "shallow")
        .cloned()
        .expect("shallow");
    assert!(shallow["reason"].as_str().is_some_and(|r| r.contains("shallow")), "{shallow:#}");
    assert!(err.contains("partial"), "{err}");
}

#[test]
fn a_state_directory_is_locked_and_checked_before_any_work() {
    let repo = work_repo(&[&[("a.env", Some(&format!("SONAR_TOKEN={SOT}\n")))]]);
    let state = tempfile::tempdir().expect("tempdir");
    let (code, _, err) = run(sqscan().args(["audit", "-q", "--state"]).arg(state.path()).arg(repo.path()));
    assert_eq!(code, 1, "{err}");
    // Other read options: what was remembered no longer holds; all is read again.
    let (_, out, _) = run(sqscan()
        .args(["audit", "-q", "--format", "json", "--max-file-size", "1M", "--state"])
        .arg(state.path())
        .arg(repo.path()));
    let again = json(&out);
    assert_eq!(
        (again["stats"]["blobs_scanned"].as_u64(), again["stats"]["blobs_reused"].as_u64()),
        (Some(1), Some(0)),
        "{again:#}"
    );
    let (_, out, _) = run(sqscan()
        .args(["audit", "-q", "--format", "json", "--max-file-size", "1M", "--state"])
        .arg(state.path())
        .arg(repo.path()));
    assert_eq!(json(&out)["stats"]["blobs_reused"], 1);
    let lock = std::fs::File::open(state.path().join("lock")).expect("a lock file");
    lock.try_lock().expect("free once the run ended");
    let (code, _, err) = run(sqscan().args(["audit", "--state"]).arg(state.path()).arg(repo.path()));
    assert_eq!(code, 2);
    assert!(err.contains("in use by another sqscan audit"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    drop(lock);
    let file =
        std::fs::read_dir(state.path().join("repositories")).expect("dir").flatten().next().expect("a file").path();
    let saved = std::fs::read(&file).expect("read");
    assert!(!String::from_utf8_lossy(&saved).contains(SOT), "no secret in state");
    std::fs::write(&file, b"sqscan-state 1\n{not json\n").expect("damage");
    let (code, _, err) = run(sqscan().args(["audit", "--state"]).arg(state.path()).arg(repo.path()));
    assert_eq!(code, 2);
    assert!(err.contains("damaged"), "{err}");
}

#[test]
fn a_forge_token_reaches_git_through_askpass_for_the_forge_host_only() {
    let served = tempfile::tempdir().expect("tempdir");
    let work = tempfile::tempdir().expect("tempdir");
    let repo = work_repo(&[&[("app.env", Some(&format!("SONAR_TOKEN={SOT}\n")))]]);
    publish(&repo, served.path(), "acme/app.git");
    let server = util::git_http::GitHttp::start(served.path(), "x-access-token", FORGE_TOKEN);
    let clone_url = server.url("acme/app.git");
    let listed = clone_url.clone();
    let github = FakeSonar::start(move |_| {
        Reply::json(200, json!([{"full_name": "acme/app", "clone_url": listed, "archived": false, "fork": false}]))
    });
    let audit = |token: Option<&str>| {
        let mut command = sqscan();
        command
            .current_dir(work.path())
            .args(["audit", "--github-org", "acme", "--github-api-url", &github.url(), "--cache", "cache"])
            .args(["--audit-log", "log.jsonl", "--format", "json"])
            .env_remove("GITHUB_TOKEN")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1");
        if let Some(token) = token {
            command.env("GITHUB_TOKEN", token);
        }
        run(command)
    };
    // Without a token git is refused, and never waits at a prompt.
    let (code, out, err) = audit(None);
    assert_eq!(code, 2, "{err}");
    let report = json(&out);
    assert_eq!(report["repositories"][0]["status"], "failed", "{report:#}");
    // With one, git gets it from GIT_ASKPASS, in a header, and clones.
    let (code, out, err) = audit(Some(FORGE_TOKEN));
    assert_eq!(code, 1, "{err}");
    let report = json(&out);
    assert_eq!(report["repositories"][0]["status"], "complete", "{report:#}");
    assert_eq!(report["incidents"][0]["secret"], "sqco_7kwY…4Kl5");
    assert!(server.seen.lock().unwrap().iter().any(|a| a.as_deref().is_some_and(|a| a.starts_with("Basic "))));
    // The mirror's configuration holds no credential.
    let mirror = std::fs::read_dir(work.path().join("cache"))
        .expect("cache")
        .flatten()
        .find(|e| e.path().extension().is_some_and(|x| x == "git"))
        .expect("a mirror");
    let config = std::fs::read_to_string(mirror.path().join("config")).expect("config");
    let log = std::fs::read_to_string(work.path().join("log.jsonl")).expect("log");
    assert_secret_free(&[&out, &err, &config, &log]);
    // A fetch, the next week: askpass again.
    let (code, _, err) = audit(Some(FORGE_TOKEN));
    assert_eq!(code, 1, "{err}");
}

#[test]
fn verification_asks_once_per_incident_and_fail_on_active_passes_dead_tokens() {
    let root = tempfile::tempdir().expect("tempdir");
    for n in 0..3 {
        let repo = work_repo(&[&[("ci.env", Some(&format!("SONAR_TOKEN={SOT}\nrepo={n}\n")))]]);
        std::fs::rename(repo.sandbox.path(), root.path().join(format!("r{n}"))).expect("move");
    }
    // SonarQube Cloud, where this token is dead: every probe answers 401.
    let dead = || FakeSonar::start(|_| Reply::json(401, json!({"errors": [{"msg": "Authentication required"}]})));
    let (cloud, us) = (dead(), dead());
    let audit = |extra: &[&str]| {
        let mut command = sqscan();
        command
            .args(["audit", "--verify", "--format", "json", "-q"])
            .args(extra)
            .arg(root.path())
            .env("SQSCAN_SONARCLOUD_URL", cloud.url())
            .env("SQSCAN_SONARQUBE_US_URL", us.url());
        run(command)
    };
    let (code, out, err) = audit(&[]);
    assert_eq!(code, 1, "{err}");
    let report = json(&out);
    assert_eq!(report["incidents"].as_array().expect("incidents").len(), 1);
    assert_eq!(report["incidents"][0]["verification"]["status"], "inactive", "{report:#}");
    let with_token =
        cloud.requests().iter().filter(|r| r.authorization.as_deref().is_some_and(|a| a.contains(SOT))).count();
    assert_eq!(with_token, 1, "one secret in three repositories is checked once");
    let (code, _, err) = audit(&["--fail-on", "active"]);
    assert_eq!(code, 0, "a dead token does not fail --fail-on active: {err}");
    assert_secret_free(&[&out, &err]);
}
