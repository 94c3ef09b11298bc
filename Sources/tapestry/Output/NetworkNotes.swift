import ControlProtocol
import Foundation

/// What `net-define`/`net-create` report as kept but not acted on, one `note:` line each on stderr
/// (stdout stays as virsh's: empty).
enum NetworkNotes {
    static func print(_ info: NetworkInfo) {
        for note in info.notes ?? [] {
            FileHandle.standardError.write(Data("note: network \(info.name): \(note)\n".utf8))
        }
    }
}
