from django.urls import include, path, register_converter

from kaohe.accounts import views as account_views
from kaohe.schemes.converters import SchemeRef
from kaohe.web import views as web_views

register_converter(SchemeRef, "scheme")

urlpatterns = [
    path("", web_views.home, name="home"),
    path("healthz", web_views.healthz, name="healthz"),
    path("login/", account_views.login_view, name="login"),
    path("logout/", account_views.logout_view, name="logout"),
    path("accounts/", include("kaohe.accounts.urls")),
    path("org/", include("kaohe.org.urls")),
    path("schemes/", include("kaohe.schemes.urls")),
    path("data/excel/", include("kaohe.collection.excel_urls")),
    path("data/", include("kaohe.collection.urls")),
    path("scores/", include("kaohe.assessment.urls")),
    path("manage/", include("kaohe.core.urls")),
]

handler400 = "kaohe.web.views.bad_request"
handler404 = "kaohe.web.views.page_not_found"
handler500 = "kaohe.web.views.server_error"
