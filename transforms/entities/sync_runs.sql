-- one row per sync run: when, how it ended, rows per entity, requests and API tokens (UTC times)
create or replace view pipedrive.sync_runs as
select * from pipedrive_staging.sync_runs
