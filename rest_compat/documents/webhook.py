"""GraphQL documents behind the /v1/webhooks routes (implied by the spec's
Webhooks section: "configure webhooks in account settings")."""

from __future__ import annotations

ENDPOINT_FIELDS = """
  id
  url
  description
  events
  enabled
  consecutive_failures: consecutiveFailures
  disabled_at: disabledAt
  previous_secret_expires_at: previousSecretExpiresAt
  created_at: createdAt
  updated_at: updatedAt
"""

DELIVERY_FIELDS = """
  id
  endpoint_id: endpointId
  event_id: eventId
  event_type: eventType
  url
  status
  attempts
  response_status: responseStatus
  last_error: lastError
  next_attempt_at: nextAttemptAt
  delivered_at: deliveredAt
  created_at: createdAt
"""

PAGINATION_FIELDS = """
  pagination {
    page
    limit
    total_items: totalItems
    total_pages: totalPages
    has_next: hasNext
    has_previous: hasPrevious
  }
"""

LIST_ENDPOINTS = (
    """
query WebhookEndpoints($page: Int, $limit: Int, $sort: String, $order: String) {
  webhookEndpoints(page: $page, limit: $limit, sort: $sort, order: $order) {
    webhooks: items {"""
    + ENDPOINT_FIELDS
    + "}"
    + PAGINATION_FIELDS
    + "} }"
)

CREATE_ENDPOINT = (
    """
mutation WebhookEndpointCreate($input: WebhookEndpointCreateInput!) {
  webhookEndpointCreate(input: $input) {"""
    + ENDPOINT_FIELDS
    + """  secret
  }
}
"""
)

GET_ENDPOINT = (
    "query WebhookEndpoint($id: String!) { webhookEndpoint(id: $id) {"
    + ENDPOINT_FIELDS
    + "} }"
)

UPDATE_ENDPOINT = (
    """
mutation WebhookEndpointUpdate($id: String!, $input: WebhookEndpointUpdateInput!) {
  webhookEndpointUpdate(id: $id, input: $input) {"""
    + ENDPOINT_FIELDS
    + "} }"
)

DELETE_ENDPOINT = """
mutation WebhookEndpointDelete($id: String!) {
  webhookEndpointDelete(id: $id) { id deleted }
}
"""

TEST_ENDPOINT = (
    "mutation WebhookEndpointTest($id: String!) { webhookEndpointTest(id: $id) {"
    + DELIVERY_FIELDS
    + "} }"
)

ROTATE_SECRET = (
    """
mutation WebhookEndpointRotateSecret($id: String!, $overlapHours: Int) {
  webhookEndpointRotateSecret(id: $id, overlapHours: $overlapHours) {"""
    + ENDPOINT_FIELDS
    + """  secret
  }
}
"""
)

LIST_DELIVERIES = (
    """
query WebhookDeliveries(
  $id: String!, $status: String, $page: Int, $limit: Int, $sort: String,
  $order: String
) {
  webhookDeliveries(
    endpointId: $id, status: $status, page: $page, limit: $limit, sort: $sort,
    order: $order
  ) {
    deliveries: items {"""
    + DELIVERY_FIELDS
    + "}"
    + PAGINATION_FIELDS
    + "} }"
)

REDELIVER = (
    """
mutation WebhookDeliveryRedeliver($id: String!, $deliveryId: String!) {
  webhookDeliveryRedeliver(endpointId: $id, deliveryId: $deliveryId) {"""
    + DELIVERY_FIELDS
    + "} }"
)
