// Drives the official Pipedrive Node.js SDK (v2 namespace) against a running simulator.
// Usage: node check_sdk.js <api-base-url ending in /api/v2> <api-token>
// Prints one JSON object: counts of every paged collection plus the results of a
// create / update / delete round trip on a deal, so the Python test can compare them
// with the simulator's truth.
'use strict';

const v2 = require('pipedrive/v2');

const PAGE_LIMIT = 100;

async function countAll(fetchPage) {
  let cursor;
  let count = 0;
  const ids = new Set();
  do {
    const response = await fetchPage({ limit: PAGE_LIMIT, cursor });
    for (const item of response.data) {
      ids.add(item.id ?? item.field_code);
      count += 1;
    }
    cursor = response.additional_data ? response.additional_data.next_cursor : null;
  } while (cursor);
  return { count, distinct: ids.size };
}

async function main() {
  const [basePath, apiKey] = process.argv.slice(2);
  const config = new v2.Configuration({ apiKey, basePath });
  const deals = new v2.DealsApi(config);
  const collections = {
    deals: (p) => deals.getDeals(p),
    persons: (p) => new v2.PersonsApi(config).getPersons(p),
    organizations: (p) => new v2.OrganizationsApi(config).getOrganizations(p),
    activities: (p) => new v2.ActivitiesApi(config).getActivities(p),
    products: (p) => new v2.ProductsApi(config).getProducts(p),
    deal_fields: (p) => new v2.DealFieldsApi(config).getDealFields(p),
    person_fields: (p) => new v2.PersonFieldsApi(config).getPersonFields(p),
    organization_fields: (p) => new v2.OrganizationFieldsApi(config).getOrganizationFields(p),
    product_fields: (p) => new v2.ProductFieldsApi(config).getProductFields(p),
    activity_fields: (p) => new v2.ActivityFieldsApi(config).getActivityFields(p),
  };
  const counts = {};
  for (const [name, fetchPage] of Object.entries(collections)) {
    counts[name] = await countAll(fetchPage);
  }

  const created = await deals.addDeal({ AddDealRequest: { title: 'SDK round trip', value: 1234 } });
  const id = created.data.id;
  const updated = await deals.updateDeal({ id, UpdateDealRequest: { title: 'SDK round trip, renamed' } });
  const fetched = await deals.getDeal({ id });
  const deleted = await deals.deleteDeal({ id });

  process.stdout.write(
    JSON.stringify({
      counts,
      write: {
        id,
        created_title: created.data.title,
        updated_title: updated.data.title,
        fetched_title: fetched.data.title,
        deleted_id: deleted.data.id,
      },
    }),
  );
}

main().catch((error) => {
  const status = error.response ? error.response.status : undefined;
  const body = error.response ? JSON.stringify(error.response.data) : '';
  process.stderr.write(`SDK check failed: ${error.message} ${status ?? ''} ${body}\n`);
  process.exit(1);
});
