import AVFoundation
import Coffre
import SwiftUI

/**
 The back camera: 4:2:0 preview frames whose Y plane goes to `onFrame` on the camera's queue (late
 frames are dropped, so a slow phone skips rather than lags), and full-resolution JPEG photos kept
 in memory. Ask for the camera first (`NSCameraUsageDescription` in Info.plist).
 */
final class CameraFeed: NSObject, AVCaptureVideoDataOutputSampleBufferDelegate, AVCapturePhotoCaptureDelegate {
    let session = AVCaptureSession()
    var onFrame: ((LumaFrame, UInt64) -> Void)?
    private let video = AVCaptureVideoDataOutput()
    private let photo = AVCapturePhotoOutput()
    private let queue = DispatchQueue(label: "org.coffre.sample.camera")
    private var onPhoto: ((Data?) -> Void)?

    func start() {
        queue.async { [self] in
            guard session.inputs.isEmpty else { return session.startRunning() }
            session.beginConfiguration()
            session.sessionPreset = .photo
            if let device = AVCaptureDevice.default(.builtInWideAngleCamera, for: .video, position: .back),
               let input = try? AVCaptureDeviceInput(device: device), session.canAddInput(input) {
                session.addInput(input)
            }
            video.videoSettings = [kCVPixelBufferPixelFormatTypeKey as String: kCVPixelFormatType_420YpCbCr8BiPlanarFullRange]
            video.alwaysDiscardsLateVideoFrames = true
            video.setSampleBufferDelegate(self, queue: queue)
            if session.canAddOutput(video) { session.addOutput(video) }
            if session.canAddOutput(photo) { session.addOutput(photo) }
            session.commitConfiguration()
            session.startRunning()
        }
    }

    func stop() { queue.async { self.session.stopRunning() } }

    func takePhoto(_ done: @escaping (Data?) -> Void) {
        queue.async { [self] in
            onPhoto = done
            photo.capturePhoto(with: AVCapturePhotoSettings(format: [AVVideoCodecKey: AVVideoCodecType.jpeg]), delegate: self)
        }
    }

    func captureOutput(_ output: AVCaptureOutput, didOutput sampleBuffer: CMSampleBuffer, from connection: AVCaptureConnection) {
        guard let onFrame, let pixels = CMSampleBufferGetImageBuffer(sampleBuffer) else { return }
        CVPixelBufferLockBaseAddress(pixels, .readOnly)
        defer { CVPixelBufferUnlockBaseAddress(pixels, .readOnly) }
        guard let base = CVPixelBufferGetBaseAddressOfPlane(pixels, 0) else { return }
        let width = CVPixelBufferGetWidthOfPlane(pixels, 0)
        let height = CVPixelBufferGetHeightOfPlane(pixels, 0)
        let stride = CVPixelBufferGetBytesPerRowOfPlane(pixels, 0)
        let frame = LumaFrame(width: UInt32(width), height: UInt32(height), rowStride: UInt32(stride),
                              data: Data(bytes: base, count: stride * height))
        let ms = UInt64(max(0, CMSampleBufferGetPresentationTimeStamp(sampleBuffer).seconds * 1000))
        onFrame(frame, ms)
    }

    func photoOutput(_ output: AVCapturePhotoOutput, didFinishProcessingPhoto photo: AVCapturePhoto, error: Error?) {
        let done = onPhoto
        onPhoto = nil
        done?(error == nil ? photo.fileDataRepresentation() : nil)
    }
}

/// The preview, with the document's outline drawn over it when `quad` is set.
struct CameraPreview: UIViewRepresentable {
    let feed: CameraFeed
    var quad: Quad?
    var frameSize: CGSize = .zero
    var color: UIColor = .white

    func makeUIView(context: Context) -> PreviewView {
        let view = PreviewView()
        view.previewLayer.session = feed.session
        view.previewLayer.videoGravity = .resizeAspectFill
        view.outline.fillColor = nil
        view.outline.lineWidth = 4
        view.layer.addSublayer(view.outline)
        return view
    }

    func updateUIView(_ view: PreviewView, context: Context) {
        view.outline.strokeColor = color.cgColor
        guard let quad, frameSize.width > 0 else { view.outline.path = nil; return }
        // Frames come in the sensor's orientation: as capture-device points (0…1) the layer maps
        // them through its rotation and aspect fill.
        let corners = [quad.topLeft, quad.topRight, quad.bottomRight, quad.bottomLeft].map { p in
            view.previewLayer.layerPointConverted(fromCaptureDevicePoint:
                CGPoint(x: CGFloat(p.x) / frameSize.width, y: CGFloat(p.y) / frameSize.height))
        }
        let path = UIBezierPath()
        path.move(to: corners[0])
        corners.dropFirst().forEach { path.addLine(to: $0) }
        path.close()
        view.outline.path = path.cgPath
    }

    final class PreviewView: UIView {
        let outline = CAShapeLayer()
        override class var layerClass: AnyClass { AVCaptureVideoPreviewLayer.self }
        var previewLayer: AVCaptureVideoPreviewLayer { layer as! AVCaptureVideoPreviewLayer }
        override func layoutSubviews() {
            super.layoutSubviews()
            outline.frame = bounds
        }
    }
}
