"""GraphQL documents behind POST /v1/generate/batch and its status route."""

from __future__ import annotations

CREATE_BATCH = """
mutation BatchCreate($input: BatchCreateInput!) {
  batchCreate(input: $input) {
    batch_id: id
    status
    items: itemCount
    estimated_time_seconds: estimatedTimeSeconds
    webhook_url: webhookUrl
    webhook_secret: webhookSecret
  }
}
"""

GET_BATCH = """
query Batch($id: String!) {
  batch(id: $id) {
    batch_id: id
    status
    total_items: itemCount
    completed_items: completedItems
    failed_items: failedItems
    webhook_url: webhookUrl
    created_at: createdAt
    completed_at: completedAt
    items {
      id
      position
      format
      status
      generation_id: generationId
      error
      updated_at: updatedAt
    }
  }
}
"""
