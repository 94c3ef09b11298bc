import TapestryModel

/// A change of the desired state that a request asks for: a pure edit and the ports whose
/// failure to come up undoes it.
struct StateEdit {
    let apply: (DesiredState) throws(ModelError) -> DesiredState
    let touched: Set<String>
}
