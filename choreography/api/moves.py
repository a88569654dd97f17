"""The catalog: published moves, filtered or matched against a text."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from choreography import selectors, vocab
from choreography.api.responses import ERROR_RESPONSES, paginated


class MoveOutput(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    level = serializers.CharField()
    counts = serializers.IntegerField()
    start_position = serializers.CharField()
    end_position = serializers.CharField()
    elements = serializers.ListField(child=serializers.CharField())
    styles = serializers.ListField(child=serializers.CharField())
    energy = serializers.FloatField()


class MoveHitOutput(MoveOutput):
    score = serializers.FloatField(allow_null=True, help_text="similarity; null where the search fell back to words")


class MoveListApi(APIView):
    pagination_class = PageNumberPagination

    class MoveFilterInput(serializers.Serializer):
        level = serializers.ChoiceField(choices=vocab.LEVELS, required=False)
        position = serializers.ChoiceField(choices=vocab.POSITIONS, required=False)
        element = serializers.ChoiceField(choices=vocab.ELEMENTS, required=False)

    @extend_schema(parameters=[MoveFilterInput], responses={200: MoveOutput(many=True), **ERROR_RESPONSES})
    def get(self, request: Request) -> Response:
        """Published moves of the catalog; filter by level, a position they start or end in, an element."""
        filters = self.MoveFilterInput(data=request.query_params)
        filters.is_valid(raise_exception=True)
        moves = selectors.moves_published(**filters.validated_data)
        return paginated(self, moves, MoveOutput)


class MoveSearchApi(APIView):
    class MoveSearchInput(serializers.Serializer):
        q = serializers.CharField(max_length=500)
        limit = serializers.IntegerField(min_value=1, max_value=selectors.MAX_MOVE_MATCHES, default=20)

    class MoveSearchOutput(serializers.Serializer):
        mode = serializers.ChoiceField(choices=[selectors.MATCH_MODE_SEMANTIC, selectors.MATCH_MODE_TEXT])
        note = serializers.CharField()
        results = MoveHitOutput(many=True)

    @extend_schema(parameters=[MoveSearchInput], responses={200: MoveSearchOutput, 400: ERROR_RESPONSES[400]})
    def get(self, request: Request) -> Response:
        """Moves closest in meaning to q. `mode` says "semantic", or "text" where it fell back to a word match."""
        query = self.MoveSearchInput(data=request.query_params)
        query.is_valid(raise_exception=True)
        found = selectors.moves_matching_text(text=query.validated_data["q"], limit=query.validated_data["limit"])
        hits = [{**MoveOutput(match.move).data, "score": match.score} for match in found.matches]
        return Response({"mode": found.mode, "note": found.note, "results": hits})
