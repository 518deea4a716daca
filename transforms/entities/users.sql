-- one row per user, active or deactivated (not the ones the sync found gone upstream)
create or replace view pipedrive.users as
select * exclude (_source_api) from pipedrive_staging.users
where not is_deleted
