"""Documents behind the /v1/users routes, aliased to the spec's JSON."""

PROFILE = """
    id
    email
    name
    avatar
    bio
    subscription_tier: subscriptionTier
    subscription_status: subscriptionStatus
    preferences
    usage {
        tokens_used: tokensUsed
        tokens_limit: tokensLimit
        generations_count: generationsCount
        generations_limit: generationsLimit
    }
    created_at: createdAt
    updated_at: updatedAt
"""

ME = (
    """
query Me {
    user: me {"""
    + PROFILE
    + """
    }
}
"""
)

ME_UPDATE = (
    """
mutation MeUpdate($input: MeUpdateInput!) {
    meUpdate(input: $input) {
        user {"""
    + PROFILE
    + """
        }
        message
    }
}
"""
)

ME_DELETE = """
mutation MeDelete($input: MeDeleteInput!) {
    meDelete(input: $input) {
        success
        message
        deletion_date: deletionDate
    }
}
"""

API_KEYS = """
query ApiKeys($page: Int, $limit: Int, $sort: String, $order: String) {
    list: apiKeyList(page: $page, limit: $limit, sort: $sort, order: $order) {
        api_keys: apiKeys {
            id
            name
            key
            last_4: last4
            permissions
            last_used: lastUsed
            expires_at: expiresAt
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

ISSUED_KEY = """
        api_key: apiKey {
            id
            name
            key
            permissions
            expires_at: expiresAt
            previous_valid_until: previousValidUntil
            created_at: createdAt
        }
        warning
"""

API_KEY_CREATE = (
    """
mutation ApiKeyCreate($input: ApiKeyCreateInput!) {
    apiKeyCreate(input: $input) {"""
    + ISSUED_KEY
    + """
    }
}
"""
)

API_KEY_ROTATE = (
    """
mutation ApiKeyRotate($id: ID!, $gracePeriodSeconds: Int! = 0) {
    apiKeyRotate(input: {id: $id, gracePeriodSeconds: $gracePeriodSeconds}) {"""
    + ISSUED_KEY
    + """
    }
}
"""
)

API_KEY_DELETE = """
mutation ApiKeyDelete($id: ID!) {
    apiKeyDelete(id: $id) { success message }
}
"""
