"""GraphQL documents behind the /v1/billing routes, aliased to the spec's JSON."""

from __future__ import annotations

SUBSCRIPTION_FIELDS = """
  id
  tier
  status
  current_period_start: currentPeriodStart
  current_period_end: currentPeriodEnd
  cancel_at_period_end: cancelAtPeriodEnd
  payment_method: paymentMethod {
    type
    brand
    last4
    exp_month: expMonth
    exp_year: expYear
  }
  limits {
    tokens_per_month: tokensPerMonth
    generations_per_month: generationsPerMonth
    team_members: teamMembers
    api_requests_per_minute: apiRequestsPerMinute
  }
"""

GET_SUBSCRIPTION = (
    "query BillingSubscription { subscription {" + SUBSCRIPTION_FIELDS + "} }"
)

SUBSCRIBE = (
    """
mutation BillingSubscribe($input: SubscriptionCreateInput!) {
  subscriptionCreate(input: $input) {
    subscription {"""
    + SUBSCRIPTION_FIELDS
    + """}
    invoice { id amount currency status }
  }
}
"""
)

CANCEL = """
mutation BillingCancel($input: SubscriptionCancelInput) {
  subscriptionCancel(input: $input) {
    subscription { status cancel_at: cancelAt }
  }
}
"""

LIST_INVOICES = """
query BillingInvoices($page: Int, $limit: Int, $sort: String, $order: String) {
  invoices(page: $page, limit: $limit, sort: $sort, order: $order) {
    invoices {
      id
      number
      amount
      currency
      status
      pdf_url: pdfUrl
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

GET_USAGE = """
query BillingUsage {
  usage {
    period { start end }
    tokens { used limit percentage }
    generations { count limit by_format: byFormat }
    api_calls: apiCalls { count limit }
    daily_breakdown: dailyBreakdown { date tokens generations }
  }
}
"""
