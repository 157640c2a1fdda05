//! SARIF as its consumers read it: GitHub code scanning (one category per
//! kind of run) and Azure DevOps Advanced Security (the build and phase a
//! run belongs to), checked with Microsoft's SARIF Multitool when it is
//! installed (`npm install -g @microsoft/sarif-multitool-linux`; `.ci/run`
//! installs it).

mod util;

use std::path::PathBuf;

use util::{GitRepo, SOT, json, run};

/// The Multitool, from PATH or npm's global folder.
fn multitool() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join("Sarif.Multitool"))
        .find(|p| p.is_file());
    on_path.or_else(|| {
        let root = std::process::Command::new("npm").args(["root", "-g"]).output().ok()?;
        let root = String::from_utf8_lossy(&root.stdout).trim().to_string();
        let tool = PathBuf::from(root).join("@microsoft/sarif-multitool-linux/Sarif.Multitool");
        tool.is_file().then_some(tool)
    })
}

/// What the Multitool says of `sarif` with `kinds`, at error and warning level.
fn complaints(tool: &PathBuf, sarif: &str, kinds: &str) -> Vec<String> {
    let dir = tempfile::tempdir().expect("tempdir");
    let (input, output) = (dir.path().join("in.sarif"), dir.path().join("out.sarif"));
    std::fs::write(&input, sarif).expect("write");
    let status = std::process::Command::new(tool)
        .args(["validate", "--rule-kind", kinds, "--level", "Error;Warning", "-o"])
        .arg(&output)
        .arg(&input)
        .output()
        .expect("the Multitool runs");
    assert!(output.is_file(), "the Multitool wrote nothing: {}", String::from_utf8_lossy(&status.stderr));
    let log = json(&std::fs::read_to_string(&output).expect("read"));
    log["runs"][0]["results"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| format!("{} {}", r["ruleId"], r["message"]["arguments"]))
        .collect()
}

fn azure_pipeline(command: &mut assert_cmd::Command) {
    command
        .env("TF_BUILD", "True")
        .env("SYSTEM_COLLECTIONURI", "https://dev.azure.com/contoso/")
        .env("SYSTEM_TEAMPROJECT", "Web")
        .env("SYSTEM_DEFINITIONID", "42")
        .env("BUILD_DEFINITIONNAME", "web-ci")
        .env("SYSTEM_PHASEID", "2a0a2f8e-6c1e-5b5e-8f33-0f6f3f6c1f00")
        .env("SYSTEM_PHASENAME", "Job")
        .env("BUILD_SOURCEBRANCH", "refs/heads/main")
        .env("BUILD_BUILDID", "1234");
}

#[test]
fn sarif_names_its_kind_of_run_and_its_azure_pipeline() {
    let repo = GitRepo::new();
    repo.commit("start", &[("README", Some("app\n"))]);
    repo.commit("one", &[("ci/app.env", Some(&format!("SONAR_TOKEN={SOT}\n")))]);
    let sarif = |args: &[&str], azure: bool| {
        let mut command = repo.sqscan(args);
        command.args(["--format", "sarif", "-q"]);
        if azure {
            azure_pipeline(&mut command);
        }
        let (code, out, err) = run(command);
        assert_eq!(code, 1, "{err}");
        out
    };
    let git = sarif(&["git"], false);
    let scan = sarif(&["scan", "."], false);
    let range = sarif(&["git", "--range", "HEAD~1..HEAD"], false);
    let id = |text: &str| json(text)["runs"][0]["automationDetails"]["id"].as_str().unwrap_or_default().to_string();
    assert_eq!((id(&git), id(&scan)), ("sqscan/git/".to_string(), "sqscan/scan/".to_string()));
    assert_eq!(id(&range), "sqscan/range/");
    let driver = &json(&git)["runs"][0]["tool"]["driver"];
    assert!(driver["fullName"].as_str().is_some_and(|n| n.starts_with("sqscan ")), "{driver}");
    let in_azure = sarif(&["git"], true);
    let details = &json(&in_azure)["runs"][0]["automationDetails"];
    assert_eq!(
        details["id"],
        "azuredevops/pipeline/build/contoso/Web/42/2a0a2f8e-6c1e-5b5e-8f33-0f6f3f6c1f00/refs/heads/main/1234"
    );
    assert_eq!(details["properties"]["azuredevops/pipeline/build/buildDefinitionId"], 42);
    assert_eq!(details["properties"]["sqscan/kind"], "git");

    let Some(tool) = multitool() else {
        eprintln!("skipped the SARIF Multitool checks: Sarif.Multitool is not installed");
        return;
    };
    for report in [&git, &scan] {
        assert_eq!(complaints(&tool, report, "Sarif;Gh"), Vec::<String>::new());
    }
    assert_eq!(complaints(&tool, &in_azure, "Sarif;Gh;Ado"), Vec::<String>::new());
}

/// Issue 10: scanned from a subdirectory of a repository, the reports
/// tools upload give paths from the repository's root (where GitHub,
/// GitLab and SonarQube look); people's reports keep them short.
#[test]
fn uploaded_reports_give_paths_from_the_repository_root() {
    let repo = GitRepo::new();
    repo.commit("one", &[("services/api/conf/app.env", Some(&format!("SONAR_TOKEN={SOT}\n")))]);
    let from = |format: &str| {
        let mut command = util::sqscan();
        command.current_dir(repo.sandbox.join("services/api")).args(["scan", ".", "-q", "--format", format]);
        let (code, out, err) = run(command);
        assert_eq!(code, 1, "{err}");
        out
    };
    let sarif = json(&from("sarif"));
    let location = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(location["uri"], "services/api/conf/app.env", "{location}");
    let base = sarif["runs"][0]["originalUriBaseIds"]["SRCROOT"]["uri"].as_str().unwrap_or_default().to_string();
    let top = repo.path().canonicalize().expect("canonical");
    assert_eq!(base, format!("file://{}/", top.display()));
    assert_eq!(json(&from("gitlab"))["vulnerabilities"][0]["location"]["file"], "services/api/conf/app.env");
    assert_eq!(json(&from("sonarqube"))["issues"][0]["primaryLocation"]["filePath"], "services/api/conf/app.env");
    assert_eq!(json(&from("json"))["findings"][0]["path"], "conf/app.env");
}
