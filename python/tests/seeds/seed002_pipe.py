"""
管道通信
注意：1.muliprocessing中管道通信之能用于有亲缘关系的进程中，就是父子进程或兄弟之间的
    2.管道对象只能在父进程中创建，子进程通过父进程获取

"""
from multiprocessing import  Process,Pipe
# 创建管道

fd1,fd2 = Pipe()#False 单向 单项管道 单项调用fd1 只能调用recv, fd2只能调用send
def app1():
    print("启动app1,请登陆")
    print("请求app2授权")
    fd1.send("app1 请求登陆") #写入管道
    data = fd1.recv()
    if  data:
        print('登陆成功',data)

def app2():
    data = fd2.recv() #阻塞等待读取管道内容
    print(data)
    fd2.send(('Dave','123')) #可以发送任意类型数据

p1 =Process(target=app1)
p2 =Process(target=app2)
p1.start()
p2.start()
p1.join()
p2.join()
