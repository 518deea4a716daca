-- one row per lead label that is not deleted
create or replace view pipedrive.lead_labels as
select * exclude (_source_api) from pipedrive_staging.lead_labels
where not is_deleted
