-- one row per person taking part in a deal that is not deleted
create or replace view pipedrive.deal_participants as
select * exclude (_source_api) from pipedrive_staging.deal_participants
where not is_deleted
