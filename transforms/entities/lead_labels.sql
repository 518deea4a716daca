-- one row per lead label
create or replace view pipedrive.lead_labels as
select * exclude (_source_api) from pipedrive_staging.lead_labels
