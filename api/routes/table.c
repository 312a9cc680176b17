/*
 * api/routes/table.c: the route table (see table.h): the rows of every
 * route but the webhooks, which come from api/hooks/sources.c.
 */
#include "api/routes/table.h"

#include "api/hooks/sources.h"
#include "api/routes/apikeys.h"
#include "api/routes/catalogue.h"
#include "api/routes/commands.h"
#include "api/routes/console.h"
#include "api/routes/forecasts.h"
#include "api/routes/health.h"
#include "api/routes/integrations.h"
#include "api/routes/jobs.h"
#include "api/routes/me.h"
#include "api/routes/metrics.h"
#include "api/routes/openapi.h"
#include "api/routes/orders.h"
#include "api/routes/queues.h"
#include "api/routes/recommendations.h"
#include "api/routes/slo.h"
#include "api/routes/status.h"
#include "api/routes/workers.h"
#include "api/routes/working_capital.h"

/* Every route but the webhooks, in match order (router.h). */
static const struct api_route routes_rows[] = {
    {API_GET, "/health", API_CLASS_PROBE, health_ok, -1, 0, 0},
    {API_GET, "/health/live", API_CLASS_PROBE, health_live, -1, 0, 0},
    {API_GET, "/health/liveness", API_CLASS_PROBE, health_live, -1, 0, 0},
    {API_GET, "/health/ready", API_CLASS_PROBE, health_ready, -1, 0, 0},
    {API_GET, "/health/readiness", API_CLASS_PROBE, health_ready, -1, 0, 0},
    {API_GET, "/ready", API_CLASS_PROBE, health_ready, -1, 0, 0},
    {API_GET, "/health/detailed", API_CLASS_METRICS, health_detailed, -1, 0, 0},
    {API_GET, "/health/history", API_CLASS_METRICS, health_history, -1, 0, 0},
    {API_GET, "/metrics", API_CLASS_METRICS, metrics_route_scrape, -1, 0, 0},
    {API_GET, "/api/status", API_CLASS_PUBLIC, status_get, -1, 0, 0},
    {API_GET, "/api/integrations/status", API_CLASS_VIEWER, integrations_get, -1, 0, 0},
    {API_GET, "/console", API_CLASS_PUBLIC, console_page, -1, 0, 0},
    {API_GET, "/console/{asset}", API_CLASS_PUBLIC, console_asset, -1, 0, 0},
    {API_GET, "/api/v1/openapi.json", API_CLASS_PUBLIC, openapi_get, -1, 0, 0},
    {API_GET, "/api/v1/me", API_CLASS_VIEWER, me_get, -1, 0, 0},
    /* Dashboard reads (issue 10 §3): Postgres through api/routes/read.h. */
    {API_GET, "/api/v1/orders", API_CLASS_VIEWER, orders_list, -1, 0, 0},
    {API_GET, "/api/v1/orders/{id}", API_CLASS_VIEWER, orders_get, -1, 0, 0},
    {API_GET, "/api/v1/products", API_CLASS_VIEWER, products_list, -1, 0, 0},
    {API_GET, "/api/v1/inventory", API_CLASS_VIEWER, inventory_list, -1, 0, 0},
    {API_GET, "/api/v1/forecasts", API_CLASS_VIEWER, forecasts_list, -1, 0, 0},
    {API_GET, "/api/v1/forecasts/runs", API_CLASS_VIEWER, forecasts_runs, -1, 0, 0},
    {API_GET, "/api/v1/stock/recommendations", API_CLASS_VIEWER, recommendations_list, -1, 0, 0},
    {API_GET, "/api/v1/working-capital", API_CLASS_VIEWER, working_capital_get, -1, 0, 0},
    {API_GET, "/api/v1/integrations", API_CLASS_VIEWER, integrations_get, -1, 0, 0},
    {API_GET, "/api/v1/queues", API_CLASS_OPERATOR, queues_list, -1, 0, 0},
    {API_GET, "/api/v1/queues/{queue}/jobs", API_CLASS_OPERATOR, jobs_list, -1, 0, 0},
    {API_GET, "/api/v1/queues/{queue}/jobs/{id}", API_CLASS_OPERATOR, jobs_get, -1, 0, 0},
    {API_DELETE, "/api/v1/queues/{queue}/jobs/{id}", API_CLASS_OPERATOR, jobs_delete, -1, 0, 0},
    {API_POST, "/api/v1/queues/{queue}/jobs/{id}/retry", API_CLASS_OPERATOR, jobs_retry, -1, 0, 0},
    {API_POST, "/api/v1/queues/{queue}/pause", API_CLASS_OPERATOR, queues_pause, -1, 0, 0},
    {API_POST, "/api/v1/queues/{queue}/resume", API_CLASS_OPERATOR, queues_resume, -1, 0, 0},
    {API_POST, "/api/v1/queues/{queue}/dead/retry", API_CLASS_ADMIN, queues_dead_retry, -1, 0, 0},
    {API_DELETE, "/api/v1/queues/{queue}/dead", API_CLASS_ADMIN, queues_dead_delete, -1, 0, 0},
    {API_GET, "/api/v1/queues/{queue}/throughput", API_CLASS_OPERATOR, queues_throughput, -1, 0, 0},
    {API_GET, "/api/v1/workers", API_CLASS_OPERATOR, workers_list, -1, 0, 0},
    {API_GET, "/api/v1/slo", API_CLASS_OPERATOR, slo_get, -1, 0, 0},
    {API_GET, "/api/v1/admin/api-keys", API_CLASS_ADMIN, apikeys_list, -1, 0, 0},
    {API_POST, "/api/v1/admin/api-keys", API_CLASS_ADMIN, apikeys_create, -1, 0, 0},
    {API_DELETE, "/api/v1/admin/api-keys/{id}", API_CLASS_ADMIN, apikeys_revoke, -1, 0, 0},
    {API_GET, "/api/v1/admin/audit", API_CLASS_ADMIN, apikeys_audit, -1, 0, 0},
    {API_GET, "/api/v1/jobs/{id}", API_CLASS_OPERATOR, jobs_status, -1, 0, 0},
    {API_POST, "/api/v1/sync/{provider}/{resource}", API_CLASS_OPERATOR, commands_sync, -1, 0, 0},
    {API_POST, "/api/v1/forecasts/run", API_CLASS_MANAGER, commands_forecast, -1, 0, 0},
    {API_POST, "/api/v1/working-capital/compute", API_CLASS_MANAGER, commands_working_capital, -1, 0, 0},
};

void routes_table(struct api_table *t)
{
    t->rows = routes_rows;
    t->nrows = sizeof routes_rows / sizeof *routes_rows;
    t->sources = hook_sources;
    t->nsources = hook_source_count();
}
