//! The capability side of [`crate::services::sql`] (see there).

use super::trap;
use super::PluginView;
use crate::bindings::owncast::plugin::sql as wit;
use crate::context::{HostCallError, PluginContext};
pub use crate::services::sql::*;
use serde_json::Value;

impl PluginContext {
    pub fn sql_exec(&self, req: &SqlRequest) -> Result<ExecResult, HostCallError> {
        Ok(self.services().sql.exec(self.slug(), req))
    }
    pub fn sql_query(&self, req: &SqlRequest) -> Result<QueryResult, HostCallError> {
        Ok(self.services().sql.query(self.slug(), req))
    }
}

fn from_wit(v: wit::SqlValue) -> Value {
    match v {
        wit::SqlValue::Null => Value::Null,
        wit::SqlValue::Integer(i) => Value::from(i),
        wit::SqlValue::Real(f) => serde_json::Number::from_f64(f).map(Value::Number).unwrap_or(Value::Null),
        wit::SqlValue::Text(s) => Value::String(s),
    }
}

fn to_wit(v: Value) -> wit::SqlValue {
    match v {
        Value::Number(n) => match n.as_i64() {
            Some(i) => wit::SqlValue::Integer(i),
            None => wit::SqlValue::Real(n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => wit::SqlValue::Text(s),
        _ => wit::SqlValue::Null,
    }
}

impl wit::Host for PluginView<'_> {
    fn exec(&mut self, sql: String, params: Vec<wit::SqlValue>) -> wasmtime::Result<Result<wit::ExecResult, String>> {
        let req = SqlRequest { sql, params: params.into_iter().map(from_wit).collect(), max_rows: 0 };
        let r = self.ctx.sql_exec(&req).map_err(trap)?;
        Ok(match r.error {
            Some(e) => Err(e),
            None => Ok(wit::ExecResult { rows_affected: r.rows_affected, last_insert_id: r.last_insert_id }),
        })
    }
    fn query(
        &mut self,
        sql: String,
        params: Vec<wit::SqlValue>,
        max_rows: u32,
    ) -> wasmtime::Result<Result<wit::QueryResult, String>> {
        let req = SqlRequest { sql, params: params.into_iter().map(from_wit).collect(), max_rows: max_rows as i64 };
        let r = self.ctx.sql_query(&req).map_err(trap)?;
        Ok(match r.error {
            Some(e) => Err(e),
            None => Ok(wit::QueryResult {
                columns: r.columns,
                rows: r.rows.into_iter().map(|row| row.into_iter().map(to_wit).collect()).collect(),
                truncated: r.truncated,
            }),
        })
    }
}

crate::legacy! {
    "owncast_sql_exec"(P) -> P input "`{sql, params?}`" output "`{rowsAffected, lastInsertId}`, or `{error}`" = |c, a| match SqlRequest::from_json(&a.bytes(0)) {
        Ok(req) => c.sql_exec(&req).map(|r| json(&r)),
        Err(e) => Ok(json(&ExecResult { error: Some(e), ..Default::default() })),
    };
    "owncast_sql_query"(P) -> P input "`{sql, params?, maxRows?}`" output "`{columns, rows, truncated?}` (rows: arrays of values in `columns` order), or `{error}`" = |c, a| match SqlRequest::from_json(&a.bytes(0)) {
        Ok(req) => c.sql_query(&req).map(|r| json(&r)),
        Err(e) => Ok(json(&QueryResult { error: Some(e), ..Default::default() })),
    };
}
