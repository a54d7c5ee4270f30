"""GraphQL documents behind the Content Generation routes."""

GENERATION_SUMMARY_FIELDS = """
    id
    format
    status
    content
    word_count: wordCount
    tokens_used: tokensUsed
    model
    created_at: createdAt
    processing_time_ms: processingTimeMs
"""

GENERATE = (
    """
mutation Generate($input: GenerateInput!) {
  generate(input: $input) {
    generation {"""
    + GENERATION_SUMMARY_FIELDS
    + """    }
    usage {
      tokens_used: tokensUsed
      tokens_remaining: tokensRemaining
      generations_today: generationsToday
      generations_limit: generationsLimit
    }
  }
}
"""
)

HISTORY = """
query History(
  $page: Int, $limit: Int, $format: GenerationFormat, $model: String,
  $status: String, $fromDate: String, $toDate: String, $search: String,
  $sort: String, $order: String, $teamId: String
) {
  generations(
    page: $page, limit: $limit, format: $format, model: $model, status: $status,
    fromDate: $fromDate, toDate: $toDate, search: $search, sort: $sort,
    order: $order, teamId: $teamId
  ) {
    generations {
      id
      format
      status
      title
      preview
      word_count: wordCount
      model
      created_at: createdAt
    }
    pagination {
      page
      limit
      total_items: totalItems
      total_pages: totalPages
      has_next: hasNext
      has_previous: hasPrevious
    }
  }
}
"""

GENERATION = """
query Generation($id: ID!) {
  generation(id: $id) {
    id
    format
    status
    title
    content
    word_count: wordCount
    tokens_used: tokensUsed
    model
    input
    options
    metadata
    error { code message }
    team_id: teamId
    created_at: createdAt
    completed_at: completedAt
    processing_time_ms: processingTimeMs
    versions {
      version
      source
      created_at: createdAt
      content
    }
  }
}
"""

DELETE = """
mutation GenerationDelete($id: ID!) {
  generationDelete(id: $id) { success message }
}
"""

EXPORT = """
mutation GenerationExport(
  $id: ID!, $format: ExportFormat!, $options: GenerationExportOptions
) {
  generationExport(id: $id, format: $format, options: $options) {
    export_url: exportUrl
    expires_at: expiresAt
  }
}
"""
