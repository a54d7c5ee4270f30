"""GraphQL documents behind the /v1 template routes."""

from __future__ import annotations

TEMPLATE_SUMMARY = """
id name description category
is_public: isPublic
usage_count: usageCount
rating
author { id name }
created_at: createdAt
"""

TEMPLATE_FULL = f"""
{TEMPLATE_SUMMARY}
format prompt
variables {{ name type description required options default }}
team_id: teamId
rating_count: ratingCount
my_rating: myRating
updated_at: updatedAt
"""

TEMPLATE_LIST = f"""
query Templates(
  $category: String, $isPublic: Boolean, $teamId: ID, $search: String,
  $mine: Boolean! = false, $page: Int, $limit: Int, $sort: String, $order: String
) {{
  list: templates(
    category: $category, isPublic: $isPublic, teamId: $teamId, search: $search,
    mine: $mine, page: $page, limit: $limit, sort: $sort, order: $order
  ) {{
    templates {{ {TEMPLATE_SUMMARY} }}
    pagination {{
      page limit
      total_items: totalItems
      total_pages: totalPages
      has_next: hasNext
      has_previous: hasPrevious
    }}
  }}
}}
"""

TEMPLATE_CREATE = f"""
mutation TemplateCreate($input: TemplateCreateInput!) {{
  templateCreate(input: $input) {{ template {{ {TEMPLATE_FULL} }} }}
}}
"""

TEMPLATE_GET = f"""
query Template($id: ID!) {{
  template(id: $id) {{ {TEMPLATE_FULL} }}
}}
"""

TEMPLATE_UPDATE = f"""
mutation TemplateUpdate($id: ID!, $input: TemplateUpdateInput!) {{
  templateUpdate(id: $id, input: $input) {{ template {{ {TEMPLATE_FULL} }} }}
}}
"""

TEMPLATE_DELETE = """
mutation TemplateDelete($id: ID!) {
  templateDelete(id: $id) { success message }
}
"""

TEMPLATE_RATE = f"""
mutation TemplateRate($id: ID!, $rating: Int!) {{
  templateRate(id: $id, rating: $rating) {{ template {{ {TEMPLATE_FULL} }} }}
}}
"""

TEMPLATE_USE = """
mutation TemplateUse($id: ID!, $input: TemplateUseInput) {
  templateUse(id: $id, input: $input) {
    generation { id content template_id: templateId }
  }
}
"""
