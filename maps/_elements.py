"""Small folium elements that call our own ``siapwisata.js`` (served at /static/app/)."""

from __future__ import annotations

from typing import Any

from branca.element import MacroElement
from folium.features import GeoJson
from folium.plugins import Search
from folium.template import Template


class Setup(MacroElement):
    """Banner, title, legend, credits, Indonesian zoom/measure labels, initial view.

    ``config`` is passed as JSON to ``SiapWisata.setup(map, config)``; see siapwisata.js.
    Add it after the layers so that it runs once they exist.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        SiapWisata.setup({{ this._parent.get_name() }}, {{ this.config|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, config: dict[str, Any]):
        super().__init__()  # type: ignore[no-untyped-call]  # branca: unannotated
        self._name = "SiapWisataSetup"
        self.config = config


class TextTooltip(MacroElement):
    """A tooltip on the parent layer, shown as plain text (``SiapWisata.textTooltip``).

    folium's own ``tooltip=`` pastes the text into a JS template literal and Leaflet then
    parses it as HTML; names of gateways and other imported rows must be neither code
    nor markup. ``tojson`` escapes ``<``, ``>``, ``&`` and quotes for the inline script.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        SiapWisata.textTooltip({{ this._parent.get_name() }}, {{ this.text|tojson }},
                               {{ this.options|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, text: str, *, sticky: bool = False):
        super().__init__()  # type: ignore[no-untyped-call]  # branca: unannotated
        self._name = "TextTooltip"
        self.text = str(text)
        self.options = {"sticky": sticky}


class ReachOnPopup(MacroElement):
    """Fetch and draw a destination's 15/30-minute road reach while its popup is open."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        SiapWisata.reachOnPopup({{ this._parent.get_name() }}, {{ this.layer.get_name() }},
                                {{ this.config|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, layer: GeoJson, url: str, styles: dict[str, dict[str, Any]]):
        super().__init__()  # type: ignore[no-untyped-call]  # branca: unannotated
        self._name = "ReachOnPopup"
        self.layer = layer
        self.config = {"url": url, "styles": styles}


class SearchControl(Search):
    """folium's leaflet-search control with Bahasa Indonesia texts.

    folium's template hard-codes only the placeholder; the 'not found' and 'cancel'
    texts would stay English. Suggestions are built as text (``SiapWisata.searchTip``):
    leaflet-search would insert each name as HTML.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{this.layer.get_name()}}searchControl = new L.Control.Search({
                layer: {{this.layer.get_name()}},
                propertyName: {{ this.search_label|tojson }},
                collapsed: {{ this.collapsed|tojson }},
                textPlaceholder: {{ this.placeholder|tojson }},
                textErr: {{ this.text_err|tojson }},
                textCancel: {{ this.text_cancel|tojson }},
                buildTip: SiapWisata.searchTip,
                position: {{ this.position|tojson }},
                initial: false,
                zoom: {{ this.search_zoom|tojson }},
                hideMarkerOnCollapse: true
            });
            {{this.layer.get_name()}}searchControl.on('search:locationfound', function(e) {
                if (e.layer && e.layer._popup) { e.layer.openPopup(); }
            });
            {{this._parent.get_name()}}.addControl({{this.layer.get_name()}}searchControl);
        {% endmacro %}
        """
    )

    def __init__(
        self,
        layer: GeoJson,
        search_label: str,
        *,
        placeholder: str = "Cari destinasi…",
        text_err: str = "Tidak ditemukan",
        text_cancel: str = "Batal",
        search_zoom: int = 13,
        position: str = "topleft",
    ):
        super().__init__(  # type: ignore[no-untyped-call]  # folium: unannotated
            layer,
            search_label=search_label,
            search_zoom=search_zoom,
            geom_type="Point",
            position=position,
            placeholder=placeholder,
            collapsed=False,
        )
        self.text_err = text_err
        self.text_cancel = text_cancel


class SiapCall(MacroElement):
    """``SiapWisata.<function>(map, layer…, config)`` on the parent map.

    For the interactive pieces of siapwisata.js that work on layers folium made (the
    readiness filter, gateway labels, the priorities side panel). ``config`` goes through
    ``tojson``, which escapes ``<``, ``>``, ``&`` and quotes for the inline script; the JS
    puts every name into the page as text. Add it after the layers it names (and after
    :class:`Setup` when it places a control below the zoom buttons).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        SiapWisata.{{ this.function }}({{ this._parent.get_name() }},
            {%- for layer in this.layers %} {{ layer.get_name() if layer else "null" }},{% endfor %}
            {{ this.config|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, function: str, layers: list[Any], config: dict[str, Any]):
        super().__init__()  # type: ignore[no-untyped-call]  # branca: unannotated
        if not function.isidentifier():
            raise ValueError(f"not a function name: {function!r}")
        self._name = "SiapCall"
        self.function = function
        self.layers = layers
        self.config = config
