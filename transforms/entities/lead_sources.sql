-- one row per lead source that is not deleted
create or replace view pipedrive.lead_sources as
select * exclude (_source_api) from pipedrive_staging.lead_sources
where not is_deleted
