"""The permission matrix every page must satisfy."""

from urllib.parse import parse_qs, urlsplit


class PermissionMatrixMixin:
    """anonymous → login redirect; out of scope → 404; in scope → 200; wrong method → 405."""

    def assert_login_required(self, url):
        response = self.client.get(url)
        self.assertEqual(response.status_code, 302, url)
        self.assertTrue(response["Location"].startswith("/accounts/login/"), response["Location"])
        self.assertEqual(
            parse_qs(urlsplit(response["Location"]).query).get("next"), [url], response["Location"]
        )

    def assert_status(self, user, url, status, method="get"):
        self.client.force_login(user)
        response = getattr(self.client, method)(url)
        self.assertEqual(response.status_code, status, f"{user} {method.upper()} {url}")
        self.client.logout()
        return response

    def assert_matrix(self, url, *, allowed, denied, wrong_methods=("post",)):
        self.assert_login_required(url)
        for user in allowed:
            self.assert_status(user, url, 200)
        for user in denied:
            self.assert_status(user, url, 404)
        for method in wrong_methods:
            self.assert_status(allowed[0], url, 405, method=method)
