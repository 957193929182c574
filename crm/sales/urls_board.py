"""The kanban board (S4): /sales/board/."""

from django.urls import URLPattern, path

from crm.sales import views_board

urlpatterns: list[URLPattern] = [
    path("board/", views_board.board_view, name="board"),
    path("board/stages/<int:pk>/cards/", views_board.board_column_view, name="board-column"),
    path("board/deals/<int:pk>/move/", views_board.board_move_view, name="board-move"),
]
