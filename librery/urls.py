from __future__ import annotations

from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView

from funds.stripe import views as stripe_views
from librery import admin_site, views

# The admin login is allauth's (rate limited, MFA), never a side door.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]
admin.site.site_header = "The Librery"
admin.site.site_title = "The Librery"
admin_site.install()

urlpatterns: list[URLPattern | URLResolver] = [
    path("healthz", views.healthz, name="healthz"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("librery.api_router")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("webhooks/stripe/", stripe_views.webhook, name="stripe-webhook"),
]

urlpatterns += i18n_patterns(
    path("", views.home, name="home"),
    path("accounts/", include("allauth.urls")),
    path("contribute/", include("contributors.urls")),
    path("funds/", include("funds.urls")),
    path("projects/", include("projects.urls")),
    path("governance/", include("governance.urls")),
    path("transparency/log.json", views.publication_log, name="publication_log"),
    path("transparency/verify.py", views.verify_script_file, name="verify_script"),
    path("transparency/", include("allocation.urls")),
    path("staff/disbursement/", include("allocation.staff.urls")),
    path("admin/", admin.site.urls),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    prefix_default_language=False,
)
urlpatterns.append(
    re_path(
        rf"^{settings.LANGUAGE_CODE}/(?P<rest>.*)\Z",
        views.default_language_prefixed,
        name="default_language_prefixed",
    )
)

handler400 = views.error_400
handler403 = views.error_403
handler404 = views.error_404
handler500 = views.error_500

if settings.DEBUG:  # pragma: no cover
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
