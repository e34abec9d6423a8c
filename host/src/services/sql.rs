//! `sql` — permission `storage.sql`; legacy `owncast_sql_exec`,
//! `owncast_sql_query`. Each plugin has one private SQLite database (an
//! embedded SQLite, so every host behaves the same) at
//! `<data dir>/<slug>/db/plugin.db`, next to its `storage.fs` directory
//! `files/` and out of that API's reach (upstream's layout, see
//! [`super::storage`]).
//!
//! Upstream's rules (owncast/plugin-sdk `docs/WIRE_PROTOCOL.md`, `storage.sql`):
//! parameters are null, booleans, numbers or strings; each `exec` is one
//! host-owned transaction (a batch commits whole or not at all); `maxRows`
//! 1..=10000 returns at most that many rows and says `truncated`, absent or 0
//! fails a result over the row or size budget rather than shorten it; the
//! limits below; `ATTACH`/`DETACH`, every `PRAGMA`, temporary schema,
//! `load_extension()`, `VACUUM` and transaction control are refused, by the
//! SQLite authorizer (which sees compiled statements, so nothing hides behind
//! a permitted one) and for `VACUUM`, which has no authorizer code, by the
//! statement text.

use fallible_iterator::FallibleIterator;
use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
use rusqlite::types::{Value as Sql, ValueRef};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Largest request (statement text and parameters, as JSON).
pub const MAX_REQUEST_BYTES: usize = 64 << 10;
/// Most bound parameters.
pub const MAX_PARAMS: usize = 64;
/// Largest single returned value.
pub const MAX_VALUE_BYTES: usize = 1 << 20;
/// Largest encoded query result.
pub const MAX_RESULT_BYTES: usize = 1 << 20;
/// Most rows one query returns.
pub const MAX_ROWS: usize = 10_000;
/// Longest one call may run.
pub const CALL_DEADLINE: Duration = Duration::from_secs(2);
/// Largest database.
pub const MAX_DB_BYTES: u64 = 128 << 20;

/// A request, as the legacy functions take it: `{sql, params?, maxRows?}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SqlRequest {
    pub sql: String,
    #[serde(default)]
    pub params: Vec<Value>,
    #[serde(default)]
    pub max_rows: i64,
}

/// `{error?, rowsAffected, lastInsertId}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecResult {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub rows_affected: i64,
    pub last_insert_id: i64,
}

/// `{error?, columns, rows, truncated?}`: values in `columns` order.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct QueryResult {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

/// One plugin's open database.
struct Db {
    conn: rusqlite::Connection,
    /// Set while the plugin's own statements run: the authorizer refuses
    /// transaction control then, and allows the host's own BEGIN/COMMIT.
    guest: Arc<AtomicBool>,
    /// When the call in progress must stop.
    deadline: Arc<Mutex<Instant>>,
}

/// Every plugin's database, opened on first use.
pub struct SqlStore {
    root: PathBuf,
    dbs: Mutex<HashMap<String, Arc<Mutex<Db>>>>,
}

impl SqlStore {
    /// Databases under `root` (the host's data directory).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        SqlStore { root: root.into(), dbs: Mutex::default() }
    }

    /// Where `slug`'s database lives.
    pub fn path(&self, slug: &str) -> PathBuf {
        super::storage::db_file(&self.root, slug)
    }

    fn db(&self, slug: &str) -> Result<Arc<Mutex<Db>>, String> {
        if let Some(db) = self.dbs.lock().unwrap().get(slug) {
            return Ok(db.clone());
        }
        let db = Arc::new(Mutex::new(open(&self.path(slug)).map_err(|e| format!("opening the database: {e}"))?));
        Ok(self.dbs.lock().unwrap().entry(slug.to_string()).or_insert(db).clone())
    }

    /// Closes `slug`'s database (it is reopened on next use).
    pub fn close(&self, slug: &str) {
        self.dbs.lock().unwrap().remove(slug);
    }

    pub fn exec(&self, slug: &str, req: &SqlRequest) -> ExecResult {
        match self.run(slug, req, |db, stmts| exec(db, stmts, &req.params)) {
            Ok(r) => r,
            Err(e) => ExecResult { error: Some(e), ..Default::default() },
        }
    }

    pub fn query(&self, slug: &str, req: &SqlRequest) -> QueryResult {
        if !(0..=MAX_ROWS as i64).contains(&req.max_rows) {
            return QueryResult {
                error: Some(format!("maxRows must be 0 (no limit) or 1-{MAX_ROWS}")),
                ..Default::default()
            };
        }
        match self.run(slug, req, |db, stmts| query(db, stmts, &req.params, req.max_rows as usize)) {
            Ok(r) => r,
            Err(e) => QueryResult { error: Some(e), ..Default::default() },
        }
    }

    /// Checks the request, then runs `f` in one transaction that commits only
    /// if `f` succeeds.
    fn run<T>(
        &self,
        slug: &str,
        req: &SqlRequest,
        f: impl FnOnce(&rusqlite::Connection, &str) -> Result<T, String>,
    ) -> Result<T, String> {
        if req.sql.len() + req.params.iter().map(|p| p.to_string().len()).sum::<usize>() > MAX_REQUEST_BYTES {
            return Err(format!("the request is over {MAX_REQUEST_BYTES} bytes"));
        }
        if req.params.len() > MAX_PARAMS {
            return Err(format!("{} parameters; the limit is {MAX_PARAMS}", req.params.len()));
        }
        if let Some((i, _)) = req
            .params
            .iter()
            .enumerate()
            .find(|(_, p)| !matches!(p, Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_)))
        {
            return Err(format!("parameter {} is not null, a boolean, a number or a string", i + 1));
        }
        refused_text(&req.sql)?;
        let start = Instant::now();
        let db = self.db(slug)?;
        // Waiting for the plugin's connection counts against the deadline.
        let db = loop {
            if let Ok(g) = db.try_lock() {
                break g;
            }
            if start.elapsed() > CALL_DEADLINE {
                return Err(format!("timed out after {CALL_DEADLINE:?} waiting for the database"));
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        *db.deadline.lock().unwrap() = start + CALL_DEADLINE;
        db.conn.execute_batch("BEGIN IMMEDIATE").map_err(|e| e.to_string())?;
        db.guest.store(true, Ordering::SeqCst);
        let out = f(&db.conn, &req.sql);
        db.guest.store(false, Ordering::SeqCst);
        let end = if out.is_ok() { "COMMIT" } else { "ROLLBACK" };
        if let Err(e) = db.conn.execute_batch(end) {
            let _ = db.conn.execute_batch("ROLLBACK");
            return Err(e.to_string());
        }
        out.map_err(|e| if start.elapsed() >= CALL_DEADLINE { format!("timed out after {CALL_DEADLINE:?}") } else { e })
    }
}

fn open(path: &Path) -> rusqlite::Result<Db> {
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let conn = rusqlite::Connection::open(path)?;
    // The host's settings, before the authorizer refuses every PRAGMA.
    let page_size: u64 = conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
    conn.execute_batch(&format!(
        "PRAGMA max_page_count = {}; PRAGMA trusted_schema = OFF;",
        MAX_DB_BYTES / page_size.max(512)
    ))?;
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
    let guest = Arc::new(AtomicBool::new(false));
    let deadline = Arc::new(Mutex::new(Instant::now()));
    let g = guest.clone();
    conn.authorizer(Some(move |ctx: AuthContext<'_>| authorize(&ctx, g.load(Ordering::SeqCst))));
    let d = deadline.clone();
    conn.progress_handler(1000, Some(move || Instant::now() > *d.lock().unwrap()));
    Ok(Db { conn, guest, deadline })
}

fn authorize(ctx: &AuthContext<'_>, guest: bool) -> Authorization {
    if !guest {
        return Authorization::Allow;
    }
    let refused = match ctx.action {
        AuthAction::Attach { .. } | AuthAction::Detach { .. } | AuthAction::Pragma { .. } => true,
        AuthAction::Transaction { .. } | AuthAction::Savepoint { .. } => true,
        AuthAction::CreateTempTable { .. }
        | AuthAction::CreateTempIndex { .. }
        | AuthAction::CreateTempTrigger { .. }
        | AuthAction::CreateTempView { .. }
        | AuthAction::DropTempTable { .. }
        | AuthAction::DropTempIndex { .. }
        | AuthAction::DropTempTrigger { .. }
        | AuthAction::DropTempView { .. } => true,
        AuthAction::Function { function_name } => function_name.eq_ignore_ascii_case("load_extension"),
        _ => false,
    };
    // `CREATE TABLE temp.x` is ordinary DDL against the `temp` schema.
    if refused || ctx.database_name == Some("temp") {
        Authorization::Deny
    } else {
        Authorization::Allow
    }
}

/// `VACUUM` has no authorizer code: refused by its keyword, outside quoted text.
fn refused_text(sql: &str) -> Result<(), String> {
    let mut words = String::with_capacity(sql.len());
    let mut quote: Option<char> = None;
    for c in sql.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if matches!(c, '\'' | '"' | '`' | '[') => quote = Some(if c == '[' { ']' } else { c }),
            None => words.push(if c.is_ascii_alphanumeric() || c == '_' { c.to_ascii_uppercase() } else { ' ' }),
        }
    }
    if words.split_whitespace().any(|w| w == "VACUUM") {
        return Err("VACUUM is not allowed".into());
    }
    Ok(())
}

fn to_sql(v: &Value) -> Sql {
    match v {
        Value::Null => Sql::Null,
        Value::Bool(b) => Sql::Integer(*b as i64),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Sql::Integer(i),
            None => Sql::Real(n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => Sql::Text(s.clone()),
        _ => unreachable!("checked by SqlStore::run"),
    }
}

fn to_json(v: ValueRef<'_>) -> Result<Value, String> {
    use base64::Engine;
    let len = match v {
        ValueRef::Text(t) | ValueRef::Blob(t) => t.len(),
        _ => 0,
    };
    if len > MAX_VALUE_BYTES {
        return Err(format!("a value is over {MAX_VALUE_BYTES} bytes"));
    }
    Ok(match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::from(i),
        ValueRef::Real(f) => serde_json::Number::from_f64(f).map(Value::Number).unwrap_or(Value::Null),
        ValueRef::Text(t) => Value::String(String::from_utf8_lossy(t).into_owned()),
        // As Go's encoding/json writes a []byte.
        ValueRef::Blob(b) => Value::String(base64::engine::general_purpose::STANDARD.encode(b)),
    })
}

/// The statements of `sql` with their share of `params`, in order.
fn each_statement<'c>(
    conn: &'c rusqlite::Connection,
    sql: &str,
    params: &[Value],
    mut f: impl FnMut(&mut rusqlite::Statement<'c>) -> Result<(), String>,
) -> Result<usize, String> {
    let mut batch = rusqlite::Batch::new(conn, sql);
    let mut used = 0;
    let mut count = 0;
    while let Some(mut stmt) = batch.next().map_err(|e| e.to_string())? {
        let n = stmt.parameter_count();
        let mine = params
            .get(used..used + n)
            .ok_or_else(|| format!("the statements take more than the {} parameters given", params.len()))?;
        for (i, p) in mine.iter().enumerate() {
            stmt.raw_bind_parameter(i + 1, to_sql(p)).map_err(|e| e.to_string())?;
        }
        used += n;
        count += 1;
        f(&mut stmt)?;
    }
    if used != params.len() {
        return Err(format!("{} parameters given, the statements take {used}", params.len()));
    }
    Ok(count)
}

fn exec(conn: &rusqlite::Connection, sql: &str, params: &[Value]) -> Result<ExecResult, String> {
    let before = conn.total_changes();
    each_statement(conn, sql, params, |stmt| {
        let mut rows = stmt.raw_query();
        while rows.next().map_err(|e| e.to_string())?.is_some() {}
        Ok(())
    })?;
    Ok(ExecResult {
        error: None,
        rows_affected: (conn.total_changes() - before) as i64,
        last_insert_id: conn.last_insert_rowid(),
    })
}

fn query(conn: &rusqlite::Connection, sql: &str, params: &[Value], max_rows: usize) -> Result<QueryResult, String> {
    let mut out: Option<QueryResult> = None;
    let statements = each_statement(conn, sql, params, |stmt| {
        if out.is_some() {
            return Err("a query is one statement".into());
        }
        let columns: Vec<String> = stmt.column_names().iter().map(|c| c.to_string()).collect();
        let width = columns.len();
        let mut result = QueryResult { columns, ..Default::default() };
        let mut size = 0;
        let mut rows = stmt.raw_query();
        while let Some(row) = rows.next().map_err(|e| e.to_string())? {
            if max_rows > 0 && result.rows.len() == max_rows {
                result.truncated = true;
                break;
            }
            if result.rows.len() == MAX_ROWS {
                return Err(format!("the result is over {MAX_ROWS} rows; add a LIMIT"));
            }
            let values = (0..width)
                .map(|i| row.get_ref(i).map_err(|e| e.to_string()).and_then(to_json))
                .collect::<Result<Vec<_>, _>>()?;
            size += values.iter().map(|v| v.to_string().len() + 1).sum::<usize>();
            if size > MAX_RESULT_BYTES {
                return Err(format!("the result is over {MAX_RESULT_BYTES} bytes; add a LIMIT"));
            }
            result.rows.push(values);
        }
        out = Some(result);
        Ok(())
    })?;
    out.filter(|_| statements == 1).ok_or_else(|| "a query is one statement".to_string())
}

impl SqlRequest {
    /// A legacy request's JSON, capped at [`MAX_REQUEST_BYTES`].
    pub fn from_json(bytes: &[u8]) -> Result<SqlRequest, String> {
        if bytes.len() > MAX_REQUEST_BYTES {
            return Err(format!("the request is over {MAX_REQUEST_BYTES} bytes"));
        }
        serde_json::from_slice(bytes).map_err(|e| format!("not a SQL request {{sql, params?, maxRows?}}: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn req(sql: &str, params: Value) -> SqlRequest {
        SqlRequest { sql: sql.into(), params: serde_json::from_value(params).unwrap(), max_rows: 0 }
    }

    #[test]
    fn exec_query_and_a_batch_is_one_transaction() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqlStore::new(dir.path());
        let r = s.exec("p", &req("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, seen REAL, ok INTEGER); INSERT INTO t (name, seen, ok) VALUES (?, ?, ?)", json!(["a", 1.5, true])));
        assert_eq!(r, ExecResult { error: None, rows_affected: 1, last_insert_id: 1 });
        let q = s.query("p", &req("SELECT name, seen, ok, NULL AS n FROM t WHERE id = ?", json!([1])));
        assert_eq!(q.error, None);
        assert_eq!(q.columns, ["name", "seen", "ok", "n"]);
        assert_eq!(q.rows, vec![vec![json!("a"), json!(1.5), json!(1), Value::Null]]);
        // The second statement fails: the first one's insert is rolled back.
        let r = s.exec("p", &req("INSERT INTO t (name) VALUES ('b'); INSERT INTO nope VALUES (1)", json!([])));
        assert!(r.error.as_deref().unwrap().contains("nope"), "{r:?}");
        assert_eq!(s.query("p", &req("SELECT count(*) AS c FROM t", json!([]))).rows, vec![vec![json!(1)]]);
        assert!(s.path("p").is_file(), "one database per plugin in its own directory");
        assert!(
            s.query("q", &req("SELECT * FROM t", json!([]))).error.is_some(),
            "another plugin has its own database"
        );
    }

    #[test]
    fn refusals() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqlStore::new(dir.path());
        s.exec("p", &req("CREATE TABLE t (x)", json!([])));
        for sql in [
            "ATTACH DATABASE '/tmp/x.db' AS x",
            "PRAGMA journal_mode",
            "CREATE TEMP TABLE x (a)",
            "CREATE TABLE temp.x (a)",
            "SELECT load_extension('x')",
            "VACUUM",
            "BEGIN",
            "COMMIT",
            "SAVEPOINT a",
            "INSERT INTO t VALUES (1); PRAGMA writable_schema = 1",
        ] {
            let r = s.exec("p", &req(sql, json!([])));
            assert!(r.error.is_some(), "{sql} was allowed");
        }
        assert_eq!(
            s.query("p", &req("SELECT count(*) FROM t", json!([]))).rows,
            vec![vec![json!(0)]],
            "nothing of a refused batch stays"
        );
        // Names that merely look like refused ones are fine.
        assert_eq!(
            s.exec(
                "p",
                &req("CREATE TABLE temperature (vacuum_count); INSERT INTO temperature VALUES ('VACUUM')", json!([]))
            )
            .error,
            None
        );
        assert!(s.exec("p", &req("SELECT ?", json!([[1]]))).error.unwrap().contains("parameter 1"));
        assert!(s.exec("p", &req("SELECT ?, ?", json!([1]))).error.is_some());
        assert!(s.exec("p", &req("SELECT 1", json!([1]))).error.is_some());
        assert!(s
            .exec("p", &req("SELECT 1", json!((0..65).collect::<Vec<_>>())))
            .error
            .unwrap()
            .contains("65 parameters"));
    }

    #[test]
    fn row_limits() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqlStore::new(dir.path());
        let many = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) SELECT i FROM n";
        let r = s.query("p", &req(many, json!([])));
        assert!(r.error.unwrap().contains("LIMIT"));
        let r = s.query("p", &SqlRequest { max_rows: 3, ..req(many, json!([])) });
        assert_eq!((r.rows.len(), r.truncated), (3, true));
        let r = s.query("p", &SqlRequest { max_rows: 3, ..req("SELECT 1", json!([])) });
        assert_eq!((r.rows.len(), r.truncated), (1, false));
        assert!(s.query("p", &SqlRequest { max_rows: 10_001, ..req("SELECT 1", json!([])) }).error.is_some());
        assert!(s.query("p", &req("SELECT 1; SELECT 2", json!([]))).error.unwrap().contains("one statement"));
        let big = s.query("p", &req("SELECT zeroblob(2000000)", json!([])));
        assert!(big.error.is_some(), "a value over the limit");
    }

    #[test]
    fn a_runaway_query_hits_the_deadline() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqlStore::new(dir.path());
        let start = Instant::now();
        let r = s.query(
            "p",
            &req("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n", json!([])),
        );
        assert!(r.error.unwrap().contains("timed out"));
        assert!(start.elapsed() < CALL_DEADLINE + Duration::from_secs(1));
    }
}
