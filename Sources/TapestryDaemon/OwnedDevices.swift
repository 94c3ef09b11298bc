import Foundation
import HostSystem

/// The netdevs Tapestry created (`<state-dir>/owned.json`): written before a device is created and
/// after it is deleted, so that a restart can remove what a crash left behind, and nothing else.
final class OwnedDevices {
    struct Device: Codable, Hashable {
        var name: String
        var netns: String?
    }

    private let path: String
    private(set) var devices: Set<Device> = []

    init(stateDirectory: String) {
        path = stateDirectory + "/owned.json"
        AtomicFile.removeLeftovers(of: path)
        if let data = FileManager.default.contents(atPath: path),
           let list = try? JSONDecoder().decode([Device].self, from: data) {
            devices = Set(list)
        }
    }

    func insert(_ d: Device) throws {
        guard !devices.contains(d) else { return }
        devices.insert(d)
        try save()
    }

    func remove(_ d: Device) throws {
        guard devices.remove(d) != nil else { return }
        try save()
    }

    private func save() throws {
        let list = devices.sorted { ($0.netns ?? "", $0.name) < ($1.netns ?? "", $1.name) }
        try AtomicFile.write(try JSONEncoder().encode(list), to: path)
    }
}
