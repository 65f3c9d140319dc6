//! The `role` actions of pum 1.x on real roles: database-specific roles,
//! memberships of users, revoking, dropping, listing, login roles.

use crate::module::installed_by_pum1;
use crate::pum1_cli::{module_with_roles, pum1};
use crate::support::TestDb;

fn can(db: &TestDb, role: &str, privilege: &str) -> bool {
    db.query_one(&format!(
        "SELECT has_table_privilege('{role}', 'pipes.pipe', '{privilege}')::text"
    ))
    .unwrap()
        == "true"
}

fn roles_like(db: &TestDb, pattern: &str) -> Vec<String> {
    db.query_strings(&format!(
        "SELECT rolname::text FROM pg_roles WHERE rolname LIKE '{pattern}' ORDER BY 1"
    ))
}

#[test]
fn database_specific_roles_users_and_the_way_back() {
    let db = installed_by_pum1();
    let module = module_with_roles("r1");
    let dir = module.path();
    let (viewer, editor) = ("pum_it_r1_viewer", "pum_it_r1_editor");
    let (viewer_l, editor_l) = ("pum_it_r1_viewer_lausanne", "pum_it_r1_editor_lausanne");
    let john = "pum_it_r1_john";

    pum1(&db, dir, &["role", "create", "--suffix", "lausanne"])
        .success()
        .stdout_has("4 roles created");
    assert_eq!(
        roles_like(&db, "pum_it\\_r1\\_%"),
        [editor, editor_l, viewer, viewer_l]
    );
    // The permissions sit on the specific roles; the generic ones get none.
    assert!(can(&db, viewer_l, "SELECT") && can(&db, editor_l, "INSERT"));
    assert!(!can(&db, viewer, "SELECT"));
    // The hierarchy is mirrored between the specific roles, as pum 1.9 does.
    assert_eq!(
        db.query_one(&format!(
            "SELECT pg_has_role('{editor_l}', '{viewer_l}', 'MEMBER')::text"
        ))
        .unwrap(),
        "true"
    );

    // The application recreated: its view is granted to the specific
    // roles, as pum 1.9's `app --suffix` grants.
    pum1(&db, dir, &["app", "recreate", "--suffix", "lausanne"]).success();
    let on_view = |role: &str| {
        db.query_one(&format!(
            "SELECT has_table_privilege('{role}', 'pipes.app_pipes', 'SELECT')::text"
        ))
        .unwrap()
    };
    assert_eq!(on_view(viewer_l), "true");
    assert_eq!(on_view(viewer), "false");
    pum1(&db, dir, &["role", "create-login", "--name", john]).success();
    pum1(&db, dir, &["role", "login-roles"])
        .success()
        .stdout_has(john);
    assert!(!can(&db, john, "SELECT"));
    pum1(
        &db,
        dir,
        &[
            "role", "grant", "--to", john, "--roles", viewer, "--suffix", "lausanne",
        ],
    )
    .success()
    .stderr_has(&format!("GRANT {viewer_l} TO {john}"));
    assert!(can(&db, john, "SELECT") && !can(&db, john, "INSERT"));
    pum1(&db, dir, &["role", "members", "--roles", viewer_l])
        .success()
        .stdout_has(john);

    // The inventory: the specific role as configured, john reaching the
    // schema through it.
    let listed = db
        .pum()
        .args(["roles", "list", "-p", "test", "--format", "json", "-d"])
        .arg(dir)
        .run()
        .success()
        .json();
    let configured = listed["configured"].as_array().unwrap();
    let specific = configured
        .iter()
        .find(|r| r["name"] == viewer_l)
        .expect("the suffixed role is listed");
    assert_eq!(specific["suffix"], "lausanne");
    assert_eq!(specific["schemas"][0]["satisfied"], true);
    assert!(listed["grantees"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["name"] == john));
    pum1(&db, dir, &["role", "list"])
        .success()
        .stdout_has(&format!("✓ {viewer_l}"));

    pum1(
        &db,
        dir,
        &[
            "role", "revoke", "--from", john, "--roles", viewer, "--suffix", "lausanne",
        ],
    )
    .success();
    assert!(!can(&db, john, "SELECT"));

    // Dropping the specific roles leaves the generic ones.
    pum1(&db, dir, &["role", "drop", "--suffix", "lausanne"]).success();
    assert_eq!(roles_like(&db, "pum_it\\_r1\\_%"), [editor, john, viewer]);

    // A generic role that owns something is dropped only with --force.
    db.execute(&format!(
        "CREATE TABLE pipes.owned (id int); ALTER TABLE pipes.owned OWNER TO {viewer}"
    ));
    pum1(&db, dir, &["role", "drop", "--roles", viewer])
        .code(2)
        .stderr_has(viewer);
    assert_eq!(roles_like(&db, "pum_it\\_r1\\_%"), [editor, john, viewer]);
    pum1(&db, dir, &["role", "drop", "--force"]).success();
    assert_eq!(roles_like(&db, "pum_it\\_r1\\_%"), [john]);
    assert_eq!(
        db.query_one("SELECT tableowner::text FROM pg_tables WHERE tablename = 'owned'")
            .unwrap(),
        "postgres",
        "REASSIGN OWNED handed it over"
    );
    pum1(&db, dir, &["role", "drop-login", "--name", john]).success();
    assert!(roles_like(&db, "pum_it\\_r1\\_%").is_empty());
}

#[test]
fn role_revoke_keeps_the_roles_and_mistakes_are_named() {
    let db = installed_by_pum1();
    let module = module_with_roles("r2");
    let dir = module.path();
    pum1(&db, dir, &["role", "create"]).success();
    assert!(can(&db, "pum_it_r2_viewer", "SELECT"));
    pum1(&db, dir, &["role", "revoke"]).success();
    assert!(!can(&db, "pum_it_r2_viewer", "SELECT"));
    assert!(
        !can(&db, "pum_it_r2_editor", "SELECT"),
        "membership revoked too"
    );
    assert_eq!(roles_like(&db, "pum_it\\_r2\\_%").len(), 2);
    pum1(&db, dir, &["role", "list"])
        .success()
        .stdout_has("✗ pum_it_r2_viewer")
        .stdout_has("expected: read, actual: none");

    pum1(
        &db,
        dir,
        &["role", "grant", "--to", "x", "--roles", "nobody"],
    )
    .code(2)
    .stderr_has("nobody not defined")
    .stderr_has("pum_it_r2_viewer");
    pum1(&db, dir, &["role", "members"])
        .code(2)
        .stderr_has("--roles ROLE");
    pum1(&db, dir, &["role", "create-login"])
        .code(2)
        .stderr_has("--name");
    db.pum()
        .args(["roles", "drop", "-p", "test", "--to", "x", "-d"])
        .arg(dir)
        .run()
        .code(2)
        .stderr_has("--to does not apply");
    assert_eq!(
        roles_like(&db, "pum_it\\_r2\\_%").len(),
        2,
        "nothing dropped"
    );
    pum1(&db, dir, &["role", "drop"]).success();
    assert!(roles_like(&db, "pum_it\\_r2\\_%").is_empty());
}

#[test]
fn install_skip_grant_creates_the_roles_without_permissions() {
    let db = TestDb::new();
    let module = module_with_roles("r3");
    pum1(&db, module.path(), &["install", "--skip-grant"]).success();
    assert_eq!(roles_like(&db, "pum_it\\_r3\\_%").len(), 2);
    assert!(!can(&db, "pum_it_r3_viewer", "SELECT"));
    pum1(&db, module.path(), &["role", "drop"]).success();
}
