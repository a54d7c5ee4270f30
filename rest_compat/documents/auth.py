"""Documents behind the /v1/auth routes, aliased to the spec's JSON."""

USER_FIELDS = """
    id
    email
    name
    avatar
    subscription_tier: subscriptionTier
"""

TOKENS = """
    tokens {
        access_token: accessToken
        refresh_token: refreshToken
        expires_in: expiresIn
    }
"""

SIGNUP = (
    """
mutation Signup($input: AuthSignupInput!) {
    authSignup(input: $input) {
        user {"""
    + USER_FIELDS
    + """
            created_at: createdAt
        }"""
    + TOKENS
    + """
    }
}
"""
)

LOGIN = (
    """
mutation Login($input: AuthLoginInput!) {
    authLogin(input: $input) {
        user {"""
    + USER_FIELDS
    + """
            last_login: lastLogin
        }"""
    + TOKENS
    + """
    }
}
"""
)

REFRESH = """
mutation Refresh($input: AuthRefreshInput!) {
    authRefresh(input: $input) {
        access_token: accessToken
        refresh_token: refreshToken
        expires_in: expiresIn
    }
}
"""

LOGOUT = """
mutation Logout($input: AuthRefreshInput!) {
    authLogout(input: $input) { success message }
}
"""

FORGOT_PASSWORD = """
mutation ForgotPassword($input: AuthPasswordResetRequestInput!) {
    authPasswordResetRequest(input: $input) { success message }
}
"""

RESET_PASSWORD = """
mutation ResetPassword($input: AuthPasswordResetInput!) {
    authPasswordReset(input: $input) { success message }
}
"""
