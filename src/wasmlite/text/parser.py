"""WAT module parser: s-expressions -> ``syntax.Module``.

Parsing takes two passes over the module fields. The first binds every
identifier and fixes every index (and reads the explicit type definitions), so
that fields may refer to ones defined later; the second reads the fields in
textual order, resolving identifiers and appending the types that inline type
uses need at the end of the type section, as the spec's abbreviation rule says.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

from .. import encode, syntax
from ..errors import ParseError
from ..opcodes import BY_NAME
from . import lexer
from .instructions import CodeParser, is_index
from .lexer import ID, SExpr, Token
from .reader import Cursor, Reader

MODULE_FIELDS = frozenset(("type", "import", "func", "table", "memory", "global", "export", "start", "elem", "data"))
_EXTERN_KINDS = {
    "func": syntax.EXTERN_FUNC,
    "table": syntax.EXTERN_TABLE,
    "memory": syntax.EXTERN_MEMORY,
    "global": syntax.EXTERN_GLOBAL,
}
_UNKNOWN_NAMES = {"func": "function", "elem": "elem segment", "data": "data segment"}
_DEFINITION_NAMES = {"func": "function", "table": "table", "memory": "memory", "global": "global"}
_REF_FUNC = BY_NAME["ref.func"]
_ZERO_OFFSET = syntax.Expr(encode.instr(BY_NAME["i32.const"], 0) + b"\x0b")


class TypeUse:
    """A parsed ``(type x)? (param ...)* (result ...)*``; ``index`` is None without ``(type)``."""

    __slots__ = ("index", "params", "param_names", "results", "inline")

    def __init__(self) -> None:
        self.index: Optional[int] = None
        self.params: List[int] = []
        self.param_names: List[Optional[str]] = []
        self.results: List[int] = []
        self.inline = False  # any (param) or (result) clause, even an empty one


class _Field:
    """What the first pass learnt about a field, for the second."""

    __slots__ = ("node", "index", "name", "exports", "import_", "cursor", "segment")

    def __init__(self, node: SExpr, index: int, name: Optional[str], cursor: Cursor) -> None:
        self.node = node
        self.index = index
        self.name = name
        self.exports: List[str] = []
        self.import_: Optional[Tuple[str, str]] = None
        self.cursor = cursor  # just after the field's header
        self.segment = -1  # index of the segment a table/memory abbreviation defines


class ModuleParser(Reader):
    def __init__(self, source: str) -> None:
        super().__init__(source)
        self.module = syntax.Module()
        self.ids: Dict[str, Dict[str, int]] = {s: {} for s in ("type", "func", "table", "memory", "global", "elem", "data")}
        self.counts: Dict[str, int] = {s: 0 for s in self.ids}
        self.type_index: Dict[syntax.FuncType, int] = {}
        self.first_definition: Optional[str] = None
        self.uses_data_count = False

    def parse(self) -> syntax.Module:
        nodes, err, err_pos = lexer.read_partial(self.source)
        if err is None:
            return self._parse(nodes)
        try:
            self._parse(nodes)
        except ParseError as e:
            if (e.line, e.column) < lexer.position(self.source, err_pos):
                raise
        raise err

    def _parse(self, nodes: List[lexer.Node]) -> syntax.Module:
        fields = self._fields(nodes)
        plan = [self._declare(f) for f in fields]
        for f, info in zip(fields, plan):
            getattr(self, "_define_" + f.head())(f, info)  # type: ignore[operator]
        m = self.module
        if self.uses_data_count:
            m.data_count = len(m.datas)
        return m

    def _fields(self, nodes: List[lexer.Node]) -> List[SExpr]:
        if nodes and isinstance(nodes[0], SExpr) and nodes[0].head() == "module":
            if len(nodes) > 1:
                raise self.unexpected(nodes[1])
            c = Cursor(nodes[0])
            self.module.names.module = self.take_id(c)
            nodes = nodes[0].items[c.i :]
        for f in nodes:
            if not isinstance(f, SExpr) or f.head() not in MODULE_FIELDS:
                raise self.unexpected(f.items[0] if isinstance(f, SExpr) and f.items else f)
        return nodes  # type: ignore[return-value]

    # -- identifiers and indices -----------------------------------------------------

    def _bind(self, space: str, name: Optional[str], node: object) -> int:
        index = self.counts[space]
        self.counts[space] = index + 1
        if name is not None:
            ids = self.ids[space]
            if name in ids:
                raise self.error(node, f"duplicate {space}")
            ids[name] = index
        return index

    def index(self, c: Cursor, space: str) -> int:
        """An index into one of the module's index spaces, by number or identifier."""
        item = c.peek()
        if isinstance(item, Token) and item.kind == ID:
            c.i += 1
            index = self.ids[space].get(item.value)
            if index is None:
                raise self.error(item, f"unknown {_UNKNOWN_NAMES.get(space, space)} ${item.value}")
            return index
        return self.u32(c)

    def _import_order(self, node: SExpr) -> None:
        if self.first_definition is not None:
            raise self.error(node, f"import after {self.first_definition}")

    # -- types -----------------------------------------------------------------------

    def typeuse(self, c: Cursor, names: bool) -> TypeUse:
        """Read a type use; parameter identifiers are allowed only with ``names``."""
        use = TypeUse()
        if c.peek_head() == "type":
            tc = Cursor(c.take_list())
            use.index = self.index(tc, "type")
            self.end(tc)
        self._signature(c, use, names)
        return use

    def _signature(self, c: Cursor, use: TypeUse, names: bool) -> None:
        while c.peek_head() == "param":
            pc = Cursor(c.take_list())
            use.inline = True
            at = pc.peek()
            name = self.take_id(pc)
            if name is not None:
                if not names:
                    raise self.unexpected(at)
                use.params.append(self.valtype(pc))
                use.param_names.append(name)
                self.end(pc)
            while not pc.done():
                use.params.append(self.valtype(pc))
                use.param_names.append(None)
        while c.peek_head() == "result":
            rc = Cursor(c.take_list())
            use.inline = True
            while not rc.done():
                use.results.append(self.valtype(rc))
        if c.peek_head() in ("type", "param"):  # out of order
            raise self.unexpected(c)

    def resolve_typeuse(self, use: TypeUse, at: object) -> int:
        """The type index a type use denotes, appending a new type if none matches."""
        ft = syntax.FuncType(tuple(use.params), tuple(use.results))
        types = self.module.types
        if use.index is not None:
            if use.inline:
                if use.index >= len(types):
                    raise self.error(at, "unknown type")
                if types[use.index] != ft:
                    raise self.error(at, "inline function type")
            return use.index
        index = self.type_index.get(ft)
        if index is None:
            index = len(types)
            types.append(ft)
            self.type_index[ft] = index
        return index

    def _limits(self, c: Cursor) -> syntax.Limits:
        low = self.u32(c)
        high = self.u32(c) if _is_number(c.peek()) else None
        return syntax.Limits(low, high)

    def _table_type(self, c: Cursor) -> syntax.TableType:
        limits = self._limits(c)
        return syntax.TableType(self.reftype(c), limits)

    def _global_type(self, c: Cursor) -> syntax.GlobalType:
        if c.peek_head() == "mut":
            mc = Cursor(c.take_list())
            t = self.valtype(mc)
            self.end(mc)
            return syntax.GlobalType(t, True)
        return syntax.GlobalType(self.valtype(c), False)

    # -- first pass ------------------------------------------------------------------

    def _declare(self, f: SExpr) -> Optional[_Field]:
        head = f.head()
        c = Cursor(f)
        if head == "type":
            name = self.take_id(c)
            if c.peek_head() != "func":
                raise self.unexpected(c)
            fc = Cursor(c.take_list())
            use = TypeUse()
            self._signature(fc, use, names=True)
            self.end(fc)
            self.end(c)
            index = self._bind("type", name, f)
            ft = syntax.FuncType(tuple(use.params), tuple(use.results))
            self.module.types.append(ft)
            self.type_index.setdefault(ft, index)
            return None
        if head == "import":
            module_name = self.name(c)
            field_name = self.name(c)
            desc = c.peek()
            if not (isinstance(desc, SExpr) and desc.head() in _EXTERN_KINDS):
                raise self.unexpected(c)
            c.i += 1
            self.end(c)
            self._import_order(f)
            dc = Cursor(desc)
            name = self.take_id(dc)
            info = _Field(desc, self._bind(desc.head(), name, desc), name, dc)  # type: ignore[arg-type]
            info.import_ = (module_name, field_name)
            return info
        if head in _EXTERN_KINDS:
            name = self.take_id(c)
            exports = []
            while c.peek_head() == "export":
                ec = Cursor(c.take_list())
                exports.append(self.name(ec))
                self.end(ec)
            import_ = None
            if c.peek_head() == "import":
                ic = Cursor(c.take_list())
                import_ = (self.name(ic), self.name(ic))
                self.end(ic)
                self._import_order(f)
            elif self.first_definition is None:
                self.first_definition = _DEFINITION_NAMES[head]
            info = _Field(f, self._bind(head, name, f), name, c)
            info.exports = exports
            info.import_ = import_
            if import_ is None:
                if head == "table" and c.peek_keyword() in ("funcref", "externref"):
                    nxt = c.items[c.i + 1] if c.i + 1 < len(c.items) else None
                    if isinstance(nxt, SExpr) and nxt.head() == "elem":
                        info.segment = self._bind("elem", None, f)
                elif head == "memory" and c.peek_head() == "data":
                    info.segment = self._bind("data", None, f)
            return info
        if head == "elem" or head == "data":
            name = self.take_id(c)
            return _Field(f, self._bind(head, name, f), name, c)
        return None  # export, start

    # -- second pass -----------------------------------------------------------------

    def _define_type(self, f: SExpr, info: None) -> None:
        pass  # read in the first pass

    def _define_import(self, f: SExpr, info: _Field) -> None:
        self._define_extern(info.node.head(), info)  # type: ignore[arg-type]

    def _define_func(self, f: SExpr, info: _Field) -> None:
        self._define_extern("func", info)

    def _define_table(self, f: SExpr, info: _Field) -> None:
        self._define_extern("table", info)

    def _define_memory(self, f: SExpr, info: _Field) -> None:
        self._define_extern("memory", info)

    def _define_global(self, f: SExpr, info: _Field) -> None:
        self._define_extern("global", info)

    def _define_extern(self, kind: str, info: _Field) -> None:
        m = self.module
        extern = _EXTERN_KINDS[kind]
        for export_name in info.exports:
            m.exports.append(syntax.Export(export_name, extern, info.index))
        c = info.cursor
        if kind == "func" and info.name is not None:
            m.names.funcs[info.index] = info.name
        if info.import_ is not None:
            desc: syntax.ImportDesc
            if kind == "func":
                use = self.typeuse(c, names=True)
                desc = self.resolve_typeuse(use, info.node)
            elif kind == "table":
                desc = self._table_type(c)
            elif kind == "memory":
                desc = syntax.MemoryType(self._limits(c))
            else:
                desc = self._global_type(c)
            self.end(c)
            m.imports.append(syntax.Import(info.import_[0], info.import_[1], extern, desc))
        elif kind == "func":
            self._define_code(info)
        elif kind == "table":
            self._define_table_body(info)
        elif kind == "memory":
            self._define_memory_body(info)
        else:
            gt = self._global_type(c)
            m.globals.append(syntax.Global(gt, syntax.Expr(CodeParser(self, None).parse(c.node, c.i))))

    def _define_code(self, info: _Field) -> None:
        m = self.module
        c = info.cursor
        use = self.typeuse(c, names=True)
        type_index = self.resolve_typeuse(use, info.node)
        local_ids: Dict[str, int] = {}
        names: Dict[int, str] = {}

        def bind_local(name: Optional[str], index: int, at: object) -> None:
            if name is not None:
                if name in local_ids:
                    raise self.error(at, "duplicate local")
                local_ids[name] = index
                names[index] = name

        for i, name in enumerate(use.param_names):
            bind_local(name, i, info.node)
        if use.inline or type_index >= len(m.types):
            count = len(use.params)
        else:
            count = len(m.types[type_index].params)
        locals_: List[int] = []
        while c.peek_head() == "local":
            lc = Cursor(c.take_list())
            at = lc.peek()
            name = self.take_id(lc)
            if name is not None:
                bind_local(name, count + len(locals_), at)
                locals_.append(self.valtype(lc))
                self.end(lc)
            while not lc.done():
                locals_.append(self.valtype(lc))
        code = CodeParser(self, local_ids).parse(c.node, c.i)
        body = encode.func_body(locals_, code)
        m.funcs.append(type_index)
        m.codes.append(syntax.FuncBody(body, 0, len(body)))
        if names:
            m.names.locals[info.index] = names

    def _define_table_body(self, info: _Field) -> None:
        m = self.module
        c = info.cursor
        if info.segment < 0:
            m.tables.append(self._table_type(c))
            self.end(c)
            return
        reftype = self.reftype(c)
        ec = Cursor(c.take_list())
        self.end(c)
        if not ec.done() and isinstance(ec.peek(), SExpr):
            init = self._elem_exprs(ec)
        else:
            init = self._func_indices(ec)
        self.end(ec)
        n = len(init)
        m.tables.append(syntax.TableType(reftype, syntax.Limits(n, n)))
        m.elems.append(syntax.Elem(reftype, tuple(init), syntax.ACTIVE, info.index, _ZERO_OFFSET))

    def _define_memory_body(self, info: _Field) -> None:
        m = self.module
        c = info.cursor
        if info.segment < 0:
            m.mems.append(syntax.MemoryType(self._limits(c)))
            self.end(c)
            return
        dc = Cursor(c.take_list())
        self.end(c)
        data = self.strings(dc)
        self.end(dc)
        pages = (len(data) + 0xFFFF) >> 16
        m.mems.append(syntax.MemoryType(syntax.Limits(pages, pages)))
        m.datas.append(syntax.Data(data, syntax.ACTIVE, info.index, _ZERO_OFFSET))

    def _define_export(self, f: SExpr, info: None) -> None:
        c = Cursor(f)
        name = self.name(c)
        desc = c.peek()
        if not (isinstance(desc, SExpr) and desc.head() in _EXTERN_KINDS):
            raise self.unexpected(c)
        c.i += 1
        self.end(c)
        dc = Cursor(desc)
        kind = desc.head()
        index = self.index(dc, kind)  # type: ignore[arg-type]
        self.end(dc)
        self.module.exports.append(syntax.Export(name, _EXTERN_KINDS[kind], index))  # type: ignore[index]

    def _define_start(self, f: SExpr, info: None) -> None:
        c = Cursor(f)
        if self.module.start is not None:
            raise self.error(f, "multiple start sections")
        self.module.start = self.index(c, "func")
        self.end(c)

    def _define_elem(self, f: SExpr, info: _Field) -> None:
        c = info.cursor
        mode = syntax.PASSIVE
        table = 0
        offset = None
        explicit_table = False
        if c.peek_keyword() == "declare":
            c.i += 1
            mode = syntax.DECLARATIVE
        else:
            if c.peek_head() == "table":
                tc = Cursor(c.take_list())
                table = self.index(tc, "table")
                self.end(tc)
                explicit_table = True
            offset = self._offset(c)
            if offset is not None:
                mode = syntax.ACTIVE
            elif explicit_table:
                raise self.unexpected(c)
        word = c.peek_keyword()
        if word == "func":
            c.i += 1
            reftype = syntax.FUNCREF
            init = self._func_indices(c)
        elif word in ("funcref", "externref"):
            reftype = self.reftype(c)
            init = self._elem_exprs(c)
        elif mode == syntax.ACTIVE and not explicit_table:
            reftype = syntax.FUNCREF
            init = self._func_indices(c)
        else:
            raise self.unexpected(c)
        self.end(c)
        self.module.elems.append(syntax.Elem(reftype, tuple(init), mode, table, offset))

    def _define_data(self, f: SExpr, info: _Field) -> None:
        c = info.cursor
        memory = 0
        explicit_memory = False
        if c.peek_head() == "memory":
            mc = Cursor(c.take_list())
            memory = self.index(mc, "memory")
            self.end(mc)
            explicit_memory = True
        elif is_index(c.peek()):
            memory = self.index(c, "memory")
            explicit_memory = True
        offset = self._offset(c)
        if offset is None and explicit_memory:
            raise self.unexpected(c)
        data = self.strings(c)
        self.end(c)
        if offset is None:
            self.module.datas.append(syntax.Data(data, syntax.PASSIVE))
        else:
            self.module.datas.append(syntax.Data(data, syntax.ACTIVE, memory, offset))

    # -- segment parts ---------------------------------------------------------------

    def _offset(self, c: Cursor) -> Optional[syntax.Expr]:
        """``(offset instr*)`` or its abbreviation, a single folded instruction."""
        item = c.peek()
        if not isinstance(item, SExpr):
            return None
        c.i += 1
        if item.head() == "offset":
            return syntax.Expr(CodeParser(self, None).parse(item, 1))
        return self._single(item)

    def _single(self, node: SExpr) -> syntax.Expr:
        """A constant expression made of one folded instruction."""
        wrapper = SExpr([node], node.start, node.end)
        return syntax.Expr(CodeParser(self, None).parse(wrapper, 0))

    def _elem_exprs(self, c: Cursor) -> List[syntax.Expr]:
        out = []
        while isinstance(c.peek(), SExpr):
            item = c.take_list()
            if item.head() == "item":
                out.append(syntax.Expr(CodeParser(self, None).parse(item, 1)))
            else:
                out.append(self._single(item))
        return out

    def _func_indices(self, c: Cursor) -> List[syntax.Expr]:
        out = []
        while is_index(c.peek()):
            index = self.index(c, "func")
            out.append(syntax.Expr(encode.instr(_REF_FUNC, index) + b"\x0b"))
        return out


def _is_number(item: object) -> bool:
    return isinstance(item, Token) and item.kind == lexer.KEYWORD and item.value[:1].isdigit()


def parse_module(source: str) -> syntax.Module:
    """Parse a WAT module: ``(module ...)`` or a bare list of module fields."""
    return ModuleParser(source).parse()
