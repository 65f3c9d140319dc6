//! `pum demo`: the whole story on the shipped example, with nothing but the
//! installed PostgreSQL server binaries. A sandbox cluster plays production
//! (at the example's first version, with rows) and the reference (the newest
//! version), and test-and-upgrade runs between them.

use std::path::{Path, PathBuf};

use crate::db::QualifiedName;
use crate::deltas::{self, vars::Variables, Version};
use crate::error::{Error, Result};
use crate::output::Printer;
use crate::project::DeltaProject;
use crate::runner::{self, RunOptions};
use crate::sandbox::Cluster;
use crate::service::ConnParams;
use crate::{db, history};

/// The example deltas, built into the binary so the demo runs anywhere.
pub const EXAMPLE_DELTAS: &[(&str, &str)] = &[
    (
        "delta_1.0.0_network.sql",
        include_str!("../deltas/delta_1.0.0_network.sql"),
    ),
    (
        "delta_1.1.0_materials.sql",
        include_str!("../deltas/delta_1.1.0_materials.sql"),
    ),
    (
        "delta_1.2.0_lengths.sql",
        include_str!("../deltas/delta_1.2.0_lengths.sql"),
    ),
];

/// Rows that make "production" worth protecting.
const SAMPLE_DATA: &str = "
INSERT INTO network.node (name, x, y) VALUES
    ('reservoir', 0, 0), ('junction-1', 120, 40), ('junction-2', 260, 35), ('hydrant-7', 300, 140);
INSERT INTO network.pipe (from_node, to_node, diameter_mm, material)
SELECT a.id, b.id, d, m
FROM (VALUES ('reservoir', 'junction-1', 300, 'steel'),
             ('junction-1', 'junction-2', 200, 'pvc'),
             ('junction-2', 'hydrant-7', 150, 'pvc')) AS v(f, t, d, m)
JOIN network.node a ON a.name = v.f
JOIN network.node b ON b.name = v.t;
";

/// The upgrades table the demo uses.
pub const TABLE: &str = "public.pum_upgrades";

/// Writes the example deltas into `dir` and returns it.
pub fn write_example(dir: &Path) -> Result<PathBuf> {
    let deltas = dir.join("deltas");
    std::fs::create_dir_all(&deltas).map_err(|e| Error::io(&deltas, e))?;
    for (name, text) in EXAMPLE_DELTAS {
        let path = deltas.join(name);
        std::fs::write(&path, text).map_err(|e| Error::io(&path, e))?;
    }
    Ok(deltas)
}

/// Creates a database in the sandbox, baselines it at the first example
/// version and upgrades it up to `max` (everything when `None`).
pub fn build_database(
    cluster: &Cluster,
    name: &str,
    deltas_dir: &Path,
    max: Option<&Version>,
    printer: &Printer,
) -> Result<ConnParams> {
    let params = cluster.create_database(name)?;
    let table = QualifiedName::parse(TABLE)?;
    let mut client = db::connect(&params)?;
    history::create(&mut client, &table)?;
    history::record_baseline(
        &mut client,
        &table,
        &Version::parse("1.0.0").expect("valid"),
    )?;
    let discovered = deltas::discover(&[deltas_dir.to_path_buf()])?;
    let quiet = Printer {
        quiet: true,
        ..printer.clone()
    };
    let project = DeltaProject {
        table,
        discovered,
        variables: Variables::new(),
        max_version: max.cloned(),
    };
    runner::run(
        &mut client,
        &project,
        &params,
        None,
        &RunOptions::default(),
        &quiet,
    )?;
    Ok(params)
}

/// Fills the example model with a few pipes.
pub fn add_sample_rows(params: &ConnParams) -> Result<()> {
    db::connect(params)?
        .batch_execute(SAMPLE_DATA)
        .map_err(|e| Error::sql("adding the demo's sample rows", e))
}
