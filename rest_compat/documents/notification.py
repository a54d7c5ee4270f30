"""GraphQL documents behind the /v1 notification routes."""

from __future__ import annotations

NOTIFICATION = """
id type title message
action_url: actionUrl
data read
read_at: readAt
created_at: createdAt
"""

NOTIFICATION_LIST = f"""
query Notifications(
  $unreadOnly: Boolean! = false, $page: Int, $limit: Int, $sort: String,
  $order: String
) {{
  list: notifications(
    unreadOnly: $unreadOnly, page: $page, limit: $limit, sort: $sort, order: $order
  ) {{
    notifications {{ {NOTIFICATION} }}
    unread_count: unreadCount
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

NOTIFICATION_MARK_READ = f"""
mutation NotificationMarkRead($id: ID!) {{
  notificationMarkRead(id: $id) {{ notification {{ {NOTIFICATION} }} }}
}}
"""

NOTIFICATION_MARK_ALL_READ = """
mutation NotificationMarkAllRead {
  notificationMarkAllRead { updated }
}
"""
