//! Runs an admin's [`AdminRequest`] against the server (worker side): status and role changes with the
//! app's CloudCode key, reading a user's roles, listing a role's users for the table's filter, the delete
//! (re-read, copy to a JSON file in the data dir, then `DELETE`), register, and the bulk actions. The
//! calls are `backendless::Client`'s; the file writes run on tokio's blocking pool, never on the UI thread.

use std::path::Path;
use std::sync::Mutex;

use super::backup;
use super::bulk::{BulkOperation, BulkOutcome, BulkTarget, run_bulk};
use super::export::{ExportFormat, csv_line, csv_record, formula_safe, json_record};
use super::manage::{AdminAnswer, AdminFailure, AdminRequest, BulkExport, RoleChange};
use super::query::{MAX_ROLE_FILTER_USERS, PAGE_SIZE};
use crate::backendless::client::{Client, FindQuery, UserToken};
use crate::model::ObjectId;
use crate::model::record::UserRecord;

/// Runs `request` with `client` (the connection's API key) or, for what Backendless allows only from
/// server code, the same app with `cloudcode_key`; answers in kind.
pub async fn run(
    request: AdminRequest,
    client: &Client,
    cloudcode_key: Option<&str>,
    token: &UserToken,
    data_dir: &Path,
) -> AdminAnswer {
    let admin = || -> Result<Client, AdminFailure> {
        let key = cloudcode_key
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .ok_or(AdminFailure::NoCloudCodeKey)?;
        client
            .with_cloudcode_key(key)
            .map_err(|error| AdminFailure::KeyUnusable(error.to_string()))
    };
    let token = Some(token);
    match request {
        AdminRequest::SetStatus { object_id, enabled } => {
            let result = async {
                let admin = admin()?;
                Ok(admin.set_user_status(token, &object_id, enabled).await?)
            }
            .await;
            AdminAnswer::StatusSet {
                object_id,
                enabled,
                result,
            }
        }
        AdminRequest::ReadRoles { object_id } => AdminAnswer::Roles {
            result: client
                .roles_of(token, &object_id)
                .await
                .map_err(AdminFailure::from),
            object_id,
        },
        AdminRequest::ChangeRole {
            object_id,
            identity,
            role,
            change,
        } => {
            let result = async {
                let admin = admin()?;
                match change {
                    RoleChange::Assign => admin.assign_role(token, &identity, &role).await?,
                    RoleChange::Unassign => admin.unassign_role(token, &identity, &role).await?,
                }
                Ok(())
            }
            .await;
            AdminAnswer::RoleChanged {
                object_id,
                role,
                change,
                result,
            }
        }
        AdminRequest::RoleMembers { role } => AdminAnswer::RoleMembers {
            result: role_members(client, token, &role).await,
            role,
        },
        AdminRequest::Delete { object_id } => AdminAnswer::Deleted {
            result: delete(client, token, &object_id, data_dir).await,
            object_id,
        },
        AdminRequest::Create {
            properties,
            password,
        } => AdminAnswer::Created {
            result: client
                .register(properties, &password)
                .await
                .map_err(AdminFailure::from),
        },
        request @ AdminRequest::Bulk { .. } => {
            let AdminRequest::Bulk {
                operation,
                targets,
                control,
                export,
            } = request.clone()
            else {
                unreachable!("matched above")
            };
            let outcome = match operation {
                BulkOperation::Export => {
                    export_selection(client, token, targets, &control, export).await
                }
                BulkOperation::Disable | BulkOperation::Enable | BulkOperation::AssignRole(_) => {
                    let admin = match admin() {
                        Ok(admin) => admin,
                        Err(failure) => return AdminAnswer::failed(&request, failure),
                    };
                    let admin = &admin;
                    let operation_ref = &operation;
                    run_bulk(
                        operation.clone(),
                        targets,
                        &control,
                        |target: &BulkTarget| {
                            let target = target.clone();
                            async move {
                                match operation_ref {
                                    BulkOperation::Disable | BulkOperation::Enable => admin
                                        .set_user_status(
                                            token,
                                            &target.object_id,
                                            *operation_ref == BulkOperation::Enable,
                                        )
                                        .await
                                        .map(drop),
                                    BulkOperation::AssignRole(role) => {
                                        admin.assign_role(token, &target.identity, role).await
                                    }
                                    BulkOperation::Export => Ok(()),
                                }
                            }
                        },
                    )
                    .await
                }
            };
            AdminAnswer::Bulk(outcome)
        }
    }
}

/// The objectIds of `role`'s users, page by page; more than [`MAX_ROLE_FILTER_USERS`] is refused.
async fn role_members(
    client: &Client,
    token: Option<&UserToken>,
    role: &str,
) -> Result<Vec<ObjectId>, AdminFailure> {
    let mut ids = Vec::new();
    for page in 0u64.. {
        let query = FindQuery {
            props: vec!["objectId".to_owned()],
            sort_by: vec!["objectId asc".to_owned()],
            page_size: PAGE_SIZE,
            offset: page * u64::from(PAGE_SIZE),
            ..FindQuery::default()
        };
        let rows = client.users_with_role(token, role, &query).await?;
        let count = rows.len();
        ids.extend(rows.into_iter().filter_map(|row| match row {
            Ok(record) => Some(record.object_id().clone()),
            Err(unreadable) => unreadable.object_id,
        }));
        if ids.len() > MAX_ROLE_FILTER_USERS {
            return Err(AdminFailure::Local(format!(
                "More than {MAX_ROLE_FILTER_USERS} users have the role \"{role}\": the table can filter by a role of at most {MAX_ROLE_FILTER_USERS} users. Use the search or the where filter instead."
            )));
        }
        if count < PAGE_SIZE as usize {
            break;
        }
    }
    Ok(ids)
}

/// Re-reads the user, writes it to a JSON file in the data dir, then deletes it; a failed delete
/// removes the copy again (nothing changed). Answers where the copy is.
async fn delete(
    client: &Client,
    token: Option<&UserToken>,
    object_id: &ObjectId,
    data_dir: &Path,
) -> Result<std::path::PathBuf, AdminFailure> {
    let record = client.get_user(token, object_id).await?;
    let dir = data_dir.to_owned();
    let path = tokio::task::spawn_blocking(move || backup::write_backup(&dir, &record))
        .await
        .map_err(|error| AdminFailure::Local(format!("Cannot write the copy: {error}")))?
        .map_err(|error| {
            AdminFailure::Local(format!(
                "The user was not deleted: its copy could not be written in {}: {error}",
                data_dir.join(backup::DELETED_USERS_DIR).display()
            ))
        })?;
    match client.delete_user(token, object_id).await {
        Ok(_) => Ok(path),
        Err(error) => {
            let copy = path.clone();
            tokio::task::spawn_blocking(move || std::fs::remove_file(copy))
                .await
                .ok();
            Err(error.into())
        }
    }
}

/// Reads each selected user again and writes those that could be read to the export file.
async fn export_selection(
    client: &Client,
    token: Option<&UserToken>,
    targets: Vec<BulkTarget>,
    control: &super::bulk::BulkControl,
    export: Option<BulkExport>,
) -> BulkOutcome {
    let records = Mutex::new(Vec::new());
    let records_ref = &records;
    let mut outcome = run_bulk(
        BulkOperation::Export,
        targets,
        control,
        |target: &BulkTarget| {
            let object_id = target.object_id.clone();
            async move {
                let record = client.get_user(token, &object_id).await?;
                records_ref
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(record);
                Ok(())
            }
        },
    )
    .await;
    let Some(export) = export else {
        outcome.file_error = Some("no file was chosen".to_owned());
        return outcome;
    };
    let records = records
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if records.is_empty() {
        outcome.file_error = Some("none of the selected users could be read".to_owned());
        return outcome;
    }
    let bytes = export_bytes(&records, &export);
    let path = export.path.clone();
    let written =
        tokio::task::spawn_blocking(move || crate::private_file::write(&path, &bytes)).await;
    match written {
        Ok(Ok(())) => outcome.file = Some(export.path),
        Ok(Err(error)) => {
            outcome.file_error = Some(format!("{} ({})", error, export.path.display()));
        }
        Err(error) => outcome.file_error = Some(error.to_string()),
    }
    outcome
}

/// The export file's content: the same CSV (RFC 4180, formula-safe, ISO dates) or JSON as the export
/// of the whole filter.
fn export_bytes(records: &[UserRecord], export: &BulkExport) -> Vec<u8> {
    match export.format {
        ExportFormat::Csv => {
            let names: Vec<_> = export.columns.iter().map(|c| formula_safe(c)).collect();
            let mut text = csv_line(names.iter().map(AsRef::as_ref));
            for record in records {
                text.push_str(&csv_record(record, &export.columns, &export.dates));
            }
            text.into_bytes()
        }
        ExportFormat::Json => {
            let array: Vec<serde_json::Value> = records
                .iter()
                .map(|r| serde_json::Value::Object(json_record(r, &export.columns)))
                .collect();
            let mut bytes = serde_json::to_vec_pretty(&array).unwrap_or_default();
            bytes.push(b'\n');
            bytes
        }
    }
}
