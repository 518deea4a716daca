-- one row per call log that is not deleted
create or replace view pipedrive.call_logs as
select * exclude (_source_api) from pipedrive_staging.call_logs
where not is_deleted
