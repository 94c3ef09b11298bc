import ArgumentParser
import ControlProtocol
import Foundation

/// A verb that sends one control method. Whether it may be chained with others, ovs-vsctl style
/// (`tapestry add-br br0 -- add-port br0 vm1 --netns vm1 -- add-port br0 vm2 --netns vm2`, sent as
/// one `transaction`: all of it is applied, or none), is the method's declaration in ControlProtocol
/// (`RPCMethod.transactional`) — the same one the daemon dispatches by.
protocol MethodCommand: ParsableCommand {
    associatedtype Method: RPCMethod
    var options: GlobalOptions { get }
    var context: CommandContext { get }
    func makeParams() throws(CLIError) -> Method.Params
}

extension MethodCommand {
    /// Whether this verb may be part of a `--` chain.
    static var isTransactional: Bool { Method.transactional }
    static var methodName: String { Method.name }

    /// This verb as one operation of a transaction.
    func operation() throws(CLIError) -> TransactionOperation {
        let params = try makeParams()
        do {
            let json = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(params))
            return TransactionOperation(method: Method.name, params: json)
        } catch {
            throw context.refuse("could not encode the request: \(error)")
        }
    }
}

extension AddBridge: MethodCommand { typealias Method = Methods.AddBridge }
extension DeleteBridge: MethodCommand { typealias Method = Methods.DeleteBridge }
extension SetBridge: MethodCommand { typealias Method = Methods.SetBridge }
extension AddPort: MethodCommand { typealias Method = Methods.AddPort }
extension DeletePort: MethodCommand { typealias Method = Methods.DeletePort }
extension SetPort: MethodCommand { typealias Method = Methods.SetPort }
extension FDBAdd: MethodCommand { typealias Method = Methods.FDBAdd }
extension FDBDelete: MethodCommand { typealias Method = Methods.FDBDelete }
extension FDBFlush: MethodCommand { typealias Method = Methods.FDBFlush }
extension MirrorAdd: MethodCommand { typealias Method = Methods.MirrorAdd }
extension MirrorDelete: MethodCommand { typealias Method = Methods.MirrorDelete }
extension AddBond: MethodCommand { typealias Method = Methods.AddBond }
extension DeleteBond: MethodCommand { typealias Method = Methods.DeleteBond }
extension SetBond: MethodCommand { typealias Method = Methods.SetBond }
