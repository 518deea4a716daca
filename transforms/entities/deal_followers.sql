-- one row per user following a deal that is not deleted
create or replace view pipedrive.deal_followers as
select * exclude (_source_api) from pipedrive_staging.deal_followers
where not is_deleted
