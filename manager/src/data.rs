//! Removing what a plugin stored: the admin's choice when deleting it.

use super::{ManagerError, PluginManager};

impl PluginManager {
    /// Deletes everything the plugin `slug` stored: its KV namespace, the
    /// admin's settings for it, its private files (`storage.fs`) and database
    /// (`storage.sql`), both in its one storage directory, and its metrics. Refused while the plugin is still installed.
    pub fn purge_data(&self, slug: &str) -> Result<(), ManagerError> {
        owncast_plugin_host::manifest::validate_slug(slug).map_err(|_| ManagerError::NotFound(slug.to_string()))?;
        if self.knows(slug) || self.host().get(slug).is_some() {
            return Err(ManagerError::Conflict(format!("plugin `{slug}` is still installed; delete it first")));
        }
        let services = self.host().services();
        for prefix in [format!("plugins.kv.{slug}."), format!("plugins.config.{slug}.")] {
            let keys = services
                .kv
                .scan(&prefix)
                .map_err(|e| ManagerError::Io(format!("plugin `{slug}`: reading its stored data: {e}")))?;
            for (k, _) in keys {
                services
                    .kv
                    .delete(&k)
                    .map_err(|e| ManagerError::Io(format!("plugin `{slug}`: deleting its stored data: {e}")))?;
            }
        }
        services.sql.close(slug);
        let dir = owncast_plugin_host::services::storage::plugin_dir(&services.data_dir, slug);
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!(plugin = %slug, "removing {}: {e}", dir.display());
                return Err(ManagerError::Io(format!("plugin `{slug}`: its files could not be removed")));
            }
        }
        services.metrics.remove(slug);
        tracing::info!(plugin = %slug, "stored data, settings and files deleted");
        Ok(())
    }
}
